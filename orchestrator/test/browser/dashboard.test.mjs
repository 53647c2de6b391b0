// The HTML dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core
// (never a browser playwright downloads). `hellobench report --html` renders the fixture runs
// (orchestrator/test/data/dashboard/runs: real runs, one with sweeps); the page must open from
// file:// without touching the network, show every server, hold data points in every chart, log
// no console error, and fit a phone's width. Screenshots stay in the output folder for people.
//
// Environment: HELLOBENCH (the hellobench binary), HELLOBENCH_NODE_MODULES (build/report/
// node_modules, from `make report-deps`), HELLOBENCH_TEST_OUT (where the site and screenshots
// go; default a fresh temporary folder), CHROMIUM (default /usr/bin/chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '../../..');
const hellobench = process.env.HELLOBENCH || path.join(source, 'build/bin/hellobench');
const nodeModules = process.env.HELLOBENCH_NODE_MODULES || path.join(source, 'build/report/node_modules');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const out = process.env.HELLOBENCH_TEST_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'hb-dashboard-'));
const runs = path.join(source, 'orchestrator/test/data/dashboard/runs');
const withSweeps = path.join(runs, '2026-12-02T11-37-54Z/results.json');

const { chromium } = createRequire(path.join(nodeModules, 'noop.js'))('playwright-core');

function render(site, results) {
  const args = ['report', '--html', site, '--history', runs];
  if (results) args.push(results);
  execFileSync(hellobench, args, {
    env: { ...process.env, HELLOBENCH_CHART_JS: path.join(nodeModules, 'chart.js/dist/chart.umd.min.js') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return path.join(site, 'index.html');
}

const viewports = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
];

async function inspect(page, file, shot) {
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // Anything but the page itself would be the network: refuse it and remember it.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file://')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto('file://' + file, { waitUntil: 'load' });
  const facts = await page.evaluate(() => {
    const data = JSON.parse(document.getElementById('hellobench-data').textContent);
    const charts = [...document.querySelectorAll('canvas')].map((c) => {
      const chart = window.Chart.getChart(c);
      const points = chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) =>
        v !== null && v !== undefined && (typeof v !== 'object' || (v.y !== null && v.y !== undefined))).length, 0) : -1;
      const title = c.closest('.chart')?.querySelector('h4')?.textContent || '(untitled)';
      return { title, points, width: c.getBoundingClientRect().width };
    });
    return {
      servers: data.server_order,
      text: document.body.innerText,
      charts,
      claims: document.querySelectorAll('#claims article').length,
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    };
  });
  // The whole page in one picture: a viewport as tall as the page (a full-page capture beyond
  // the viewport can catch canvases mid-redraw), capped where Chromium's surfaces end.
  const height = Math.min(await page.evaluate(() => document.documentElement.scrollHeight), 16000);
  await page.setViewportSize({ width: facts.innerWidth, height });
  await page.waitForTimeout(300);
  await page.screenshot({ path: shot });
  return { errors, requests, facts };
}

for (const [label, results] of [['a run with sweeps', withSweeps], ['the latest run', null]]) {
  test(`the dashboard of ${label} renders at desktop and phone widths`, async () => {
    const site = path.join(out, label === 'the latest run' ? 'latest' : 'sweeps');
    const file = render(site, results);
    const html = fs.readFileSync(file, 'utf8');
    assert.ok(!/\bsrc=["']https?:/.test(html) && !/\bhref=["']https?:/.test(html),
      'the page must not load anything from the network');
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    try {
      fs.mkdirSync(path.join(site, 'screenshots'), { recursive: true });
      for (const vp of viewports) {
        const page = await context.newPage();
        await page.setViewportSize({ width: vp.width, height: vp.height });
        const shot = path.join(site, 'screenshots', `${vp.name}.png`);
        const { errors, requests, facts } = await inspect(page, file, shot);
        assert.deepEqual(errors, [], `${vp.name}: console errors`);
        assert.deepEqual(requests, [], `${vp.name}: network requests`);
        assert.ok(facts.servers.length >= 3, 'the run has its servers');
        for (const s of facts.servers) assert.ok(facts.text.includes(s), `${vp.name}: names server ${s}`);
        assert.ok(facts.claims >= 1, `${vp.name}: the claims come first`);
        assert.ok(facts.charts.length >= 5, `${vp.name}: charts drawn (${facts.charts.length})`);
        for (const c of facts.charts) {
          assert.ok(c.points > 0, `${vp.name}: chart "${c.title}" holds data points (${c.points})`);
          assert.ok(c.width > 100 && c.width <= vp.width, `${vp.name}: chart "${c.title}" fits (${c.width}px)`);
        }
        assert.ok(facts.scrollWidth <= facts.innerWidth + 1,
          `${vp.name}: no sideways scrolling (${facts.scrollWidth} > ${facts.innerWidth})`);
        if (results) {
          assert.ok(facts.charts.some((c) => / against live data/.test(c.title)), 'the live-data sweep is drawn');
        }
        assert.ok(facts.charts.some((c) => /^Claim /.test(c.title)), 'a claim trend is drawn');
        console.log(`${label}, ${vp.name}: ${facts.charts.length} charts, screenshot ${shot}`);
        await page.close();
      }
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  });
}
