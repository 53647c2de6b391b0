// hellobench dashboard: lays out the figures hellobench computed (the JSON in #hellobench-data)
// and draws them with Chart.js. No figure is computed here: medians, intervals and coverage all
// come from the C++ side (analysis/figures), so the page shows what results.json says.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('hellobench-data').textContent);
  const palette = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'];
  const servers = data.server_order || [];
  const color = (server) => palette[Math.max(0, servers.indexOf(server)) % palette.length];
  const serverLabel = {};
  (data.servers || []).forEach((s) => { serverLabel[s.name] = s.label || s.name; });

  // ---- small helpers ------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === 'class') node.className = v; else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => {
      if (c === null || c === undefined) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toPrecision(3) + 'M';
    if (a >= 1e4) return (v / 1e3).toPrecision(3) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a === 0) return '0';
    return v.toPrecision(3);
  }
  function pct(share) { return (share * 100).toPrecision(3) + '%'; }
  // "12.5 [10.0–15.0]" with the coverage and n, from an estimate of analysis/figures.
  function estimateText(e) {
    if (!e || !e.measured) return 'not measured';
    const [lo, hi] = e.interval || [e.value, e.value];
    const range = lo === hi ? '' : ` [${num(lo)}–${num(hi)}]`;
    return num(e.value) + range;
  }
  function coverageText(e) {
    if (!e || !e.measured) return '';
    if (e.method === 'exact') return 'exact';
    if (e.estimator === 'held_rate') return 'search bracket';
    return `${pct(e.coverage)} (n=${e.n})`;
  }
  function verdictClass(v) { return (v || 'inconclusive').replace(/ /g, '-'); }
  function table(head, rows) {
    return el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, head.map((h) => el('th', { text: h })))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) =>
        c instanceof Node ? el('td', {}, c) : el('td', { class: i > 0 && String(c).length < 30 ? 'num' : '', text: String(c) })))))));
  }
  function swatch(server) {
    return el('span', {}, el('span', { class: 'swatch', style: `background:${color(server)}` }), server);
  }

  // Interval whiskers: a dataset's `intervals[i]` = [low, high] is drawn at its point i.
  const intervalPlugin = {
    id: 'hellobenchIntervals',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      chart.data.datasets.forEach((ds, i) => {
        const meta = chart.getDatasetMeta(i);
        if (!ds.intervals || meta.hidden) return;
        const y = chart.scales[meta.yAxisID];
        ctx.save();
        ctx.strokeStyle = '#222';
        ctx.lineWidth = 1.3;
        meta.data.forEach((point, j) => {
          const iv = ds.intervals[j];
          if (!iv || iv[0] === null || iv[1] === null) return;
          const y1 = y.getPixelForValue(iv[0]);
          const y2 = y.getPixelForValue(iv[1]);
          if (!isFinite(y1) || !isFinite(y2) || Math.abs(y1 - y2) < 1) return;
          const x = point.x;
          ctx.beginPath();
          ctx.moveTo(x, y1); ctx.lineTo(x, y2);
          ctx.moveTo(x - 4, y1); ctx.lineTo(x + 4, y1);
          ctx.moveTo(x - 4, y2); ctx.lineTo(x + 4, y2);
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  };
  Chart.register(intervalPlugin);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function tooltipWithInterval(unit) {
    return {
      callbacks: {
        label(ctx) {
          const ds = ctx.dataset;
          const v = ctx.parsed.y;
          const iv = ds.intervals && ds.intervals[ctx.dataIndex];
          const extra = ds.extra && ds.extra[ctx.dataIndex];
          let text = `${ds.label}: ${num(v)} ${unit || ''}`;
          if (iv && iv[0] !== iv[1]) text += ` [${num(iv[0])}–${num(iv[1])}]`;
          if (extra) text += ` ${extra}`;
          return text;
        },
      },
    };
  }
  // A chart in a titled box, with an optional table under it. Returns the box.
  function chartBox(title, config, below) {
    const canvas = el('canvas', { role: 'img', 'aria-label': title });
    const box = el('div', { class: 'chart' }, el('h4', { text: title }),
      el('div', { class: 'canvas' }, canvas), below || null);
    box.pending = config;
    box.canvas = canvas;
    return box;
  }
  const pendingCharts = [];
  function mount(parent, box) {
    parent.appendChild(box);
    if (box.pending) pendingCharts.push(box);
    return box;
  }
  function yAxis(title, log) {
    const text = title === 'us' ? 'µs' : title;
    return { type: log ? 'logarithmic' : 'linear', beginAtZero: !log, title: { display: true, text } };
  }
  // A legend for bars coloured by server: one neutral swatch per metric (dark, then light).
  function shadeLegend(labels) {
    return { labels: { generateLabels: () => labels.map((text, k) => ({ text, fillStyle: k === 0 ? '#555' : '#bbb', strokeStyle: 'transparent', datasetIndex: k })) } };
  }
  function hasPoints(datasets) {
    return datasets.some((d) => d.data.some((v) => v !== null && (typeof v !== 'object' || v.y !== null)));
  }

  // ---- header ------------------------------------------------------------------------------
  const run = data.run || {};
  const env = Object.fromEntries((data.environment || []).map(([k, v]) => [k, v]));
  document.getElementById('run-meta').textContent =
    `${run.profile} profile · started ${run.started_at || '?'} · commit ${(run.commit || '?').slice(0, 10)}` +
    `${run.dirty ? ' (uncommitted changes)' : ''} · ${env.CPU || 'unknown CPU'}, ${env.cores || '?'} cores · ` +
    `servers: ${servers.map((s) => serverLabel[s] || s).join(', ')}`;

  // ---- claims ------------------------------------------------------------------------------
  (function claims() {
    const body = document.getElementById('claims-body');
    if (!data.claims || !data.claims.length) {
      body.appendChild(el('p', { class: 'note', text: 'This run judged no claims.' }));
      return;
    }
    const tally = {};
    data.claims.forEach((c) => { tally[c.verdict] = (tally[c.verdict] || 0) + 1; });
    body.appendChild(el('p', {}, ...Object.entries(tally).map(([v, n]) =>
      el('span', {}, el('span', { class: `badge ${verdictClass(v)}`, text: `${n} ${v}` }), ' '))));
    if (run.claims_note) body.appendChild(el('details', {}, el('summary', { text: 'How a verdict is reached' }),
      el('p', { class: 'note', text: run.claims_note })));
    const grid = el('div', { class: 'claims' });
    data.claims.forEach((c) => {
      const m = c.measured || {};
      let figure = 'not measured';
      if (m.measured !== false && typeof m.value === 'number') {
        const iv = m.interval || m.ci95;
        const unit = c.unit === 'ratio' ? 'x' : (c.unit && c.unit !== 'share' ? ' ' + c.unit : '');
        figure = `${c.comparison || ''} = ${num(m.value)}${unit}`;
        if (m.method === 'exact') figure += ' (exact)';
        // A capacity search gives a bracket (the highest rate held, the lowest not held), not a
        // sampled interval: it has no coverage to state.
        else if (m.estimator === 'held_rate' && iv) figure += `: held ${num(iv[0])}, failed at ${num(iv[1])}`;
        else if (iv) figure += ` [${num(iv[0])}–${num(iv[1])}], ${m.coverage !== undefined ? pct(m.coverage) + ' coverage, ' : ''}n=${m.n}`;
      }
      const parts = (c.parts || []).map((p) => el('li', {},
        el('span', { class: `badge ${verdictClass(p.verdict)}`, text: p.verdict || p.role }), ' ',
        el('strong', { text: `${p.role}: ` }), p.label || '', el('br'),
        el('span', { class: 'tag', text: p.reason || '' })));
      grid.appendChild(el('article', { class: `card claim ${verdictClass(c.verdict)}`, id: `claim-${c.id}` },
        el('div', { class: 'head' }, el('span', { class: 'id', text: c.id }),
          el('span', { class: `badge ${verdictClass(c.verdict)}`, text: c.verdict || '?' })),
        el('p', { class: 'article', text: c.text || '' }),
        el('blockquote', { text: c.sentence || c.reason || '' }),
        el('div', { class: 'figure', text: `Measured: ${figure}` }),
        parts.length ? el('details', {}, el('summary', { text: `How it was judged (${parts.length} parts)` }),
          el('p', { class: 'tag', text: c.reason || '' }), el('ul', {}, parts)) : null));
    });
    body.appendChild(grid);
  })();

  // ---- scenarios ---------------------------------------------------------------------------
  function metricOf(scenario, name) {
    return (scenario.metrics || []).find((m) => m.metric.name === name);
  }
  function barChart(title, metrics, opts) {
    // One group per server, one bar per metric (e.g. RSS mean and peak).
    const labels = servers;
    const datasets = metrics.map((m, k) => ({
      label: m.metric.label,
      data: servers.map((s) => { const e = m.values.find((v) => v.server === s); return e && e.measured ? e.value : null; }),
      intervals: servers.map((s) => { const e = m.values.find((v) => v.server === s); return e && e.measured && e.method !== 'exact' ? e.interval : null; }),
      backgroundColor: metrics.length > 1 ? (k === 0 ? servers.map((s) => color(s)) : servers.map((s) => color(s) + '88'))
        : servers.map((s) => color(s)),
    }));
    if (!hasPoints(datasets)) return null;
    const find = (m, s) => m.values.find((v) => v.server === s);
    const rows = servers.filter((s) => metrics.some((m) => find(m, s))).map((s) => {
      const first = metrics.map((m) => find(m, s)).find((e) => e && e.measured);
      return [swatch(s)].concat(metrics.map((m) => estimateText(find(m, s))),
        [first ? coverageText(first) : ((find(metrics[0], s) || {}).why_not || '')]);
    });
    const head = ['server'].concat(metrics.length > 1 ? metrics.map((m) => m.metric.label) : ['median [interval]'], ['coverage']);
    // Bars take each server's colour; with two metrics the second is the lighter shade.
    const legend = Object.assign({ display: metrics.length > 1 }, shadeLegend(metrics.map((m) => m.metric.label)));
    return chartBox(title, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        plugins: { legend, tooltip: tooltipWithInterval(metrics[0].metric.unit) },
        scales: { y: yAxis(opts.axis) },
      },
    }, table(head, rows));
  }
  function latencyChart(scenario) {
    const names = ['p50_us', 'p90_us', 'p99_us', 'p999_us'];
    const ms = names.map((n) => metricOf(scenario, n)).filter(Boolean);
    if (!ms.length) return null;
    const datasets = servers.map((s) => ({
      label: s,
      data: ms.map((m) => { const e = m.values.find((v) => v.server === s); return e && e.measured ? e.value : null; }),
      intervals: ms.map((m) => { const e = m.values.find((v) => v.server === s); return e && e.measured ? e.interval : null; }),
      borderColor: color(s), backgroundColor: color(s), tension: 0, spanGaps: true,
    }));
    if (!hasPoints(datasets)) return null;
    const rows = servers.map((s) => [swatch(s)].concat(ms.map((m) => estimateText(m.values.find((v) => v.server === s)))));
    return chartBox(`Latency percentiles (ms, log scale)${scenario.mode === 'closed' ? ', closed loop' : ''}`, {
      type: 'line',
      data: { labels: ms.map((m) => m.metric.label.replace(' ms', '')), datasets },
      options: { plugins: { tooltip: tooltipWithInterval('ms') }, scales: { y: yAxis('ms', true) } },
    }, table(['server'].concat(ms.map((m) => m.metric.label)), rows));
  }
  (function scenarios() {
    const body = document.getElementById('scenarios-body');
    if (!data.scenarios.length) {
      body.appendChild(el('p', { class: 'note', text: 'No load trials in this run.' }));
      return;
    }
    data.scenarios.forEach((sc) => {
      const card = el('div', { class: 'card', id: `scenario-${sc.name}` });
      const how = [sc.generator, sc.mode === 'open' ? `open loop at ${num(sc.offered_rate)} req/s` : 'closed loop',
        `${sc.connections} connections`].join(', ');
      card.appendChild(el('div', { class: 'scenario-head' }, el('h3', { text: sc.name }),
        el('code', { text: sc.path || '' }), el('span', { class: 'tag', text: how }),
        el('span', { class: 'tag', text: `${sc.valid}/${sc.trials} trials valid` }),
        sc.loadgen_bound ? el('span', { class: 'tag warn', text: `${sc.loadgen_bound} load-generator-bound (throughput and latency left out)` }) : null));
      const grid = el('div', { class: 'grid' });
      card.appendChild(grid);
      const boxes = [];
      if (sc.mode !== 'open' && metricOf(sc, 'rps')) boxes.push(barChart('Throughput (req/s)', [metricOf(sc, 'rps')], { axis: 'req/s' }));
      if (metricOf(sc, 'cpu_us_per_request')) boxes.push(barChart('Server CPU per request (µs)', [metricOf(sc, 'cpu_us_per_request')], { axis: 'µs' }));
      const mem = ['rss_mean_kib', 'rss_peak_kib'].map((n) => metricOf(sc, n)).filter(Boolean);
      if (mem.length) boxes.push(barChart('Memory: RSS mean and peak (MiB)', mem, { axis: 'MiB' }));
      boxes.push(latencyChart(sc));
      if (metricOf(sc, 'overhead_share')) boxes.push(barChart("The stack's share of latency", [metricOf(sc, 'overhead_share')], { axis: 'share' }));
      const shown = boxes.filter(Boolean);
      shown.forEach((b) => mount(grid, b));
      const missing = [];
      (sc.metrics || []).forEach((m) => m.values.forEach((e) => {
        if (!e.measured && ['rps', 'p99_us', 'cpu_us_per_request'].includes(m.metric.name)) missing.push(`${m.metric.label}, ${e.server}: ${e.why_not}`);
      }));
      if (missing.length) card.appendChild(el('details', {}, el('summary', { text: `Figures not shown (${missing.length})` }),
        el('ul', {}, missing.map((t) => el('li', { text: t })))));
      body.appendChild(card);
    });
    (data.skipped || []).filter((s) => !/^sweep /.test(s.scenario)).forEach((s) =>
      body.appendChild(el('p', { class: 'note', text: `Skipped: ${s.scenario}: ${s.reason}` })));
  })();

  // ---- sweeps ------------------------------------------------------------------------------
  function curveChart(title, xLabel, series, unit, log) {
    const datasets = series.filter((s) => s.points.length).map((s) => ({
      label: s.server,
      data: s.points.map((p) => ({ x: p.x, y: p.value })),
      intervals: s.points.map((p) => (p.low === p.high ? null : [p.low, p.high])),
      extra: s.points.map((p) => `${p.label ? '(' + p.label + ')' : ''}${p.n ? ' n=' + p.n : ''}`),
      borderColor: color(s.server), backgroundColor: color(s.server), showLine: true, tension: 0,
    }));
    if (!hasPoints(datasets)) return null;
    return chartBox(title, {
      type: 'scatter',
      data: { datasets },
      options: {
        plugins: { tooltip: tooltipWithInterval(unit) },
        scales: { x: { type: 'linear', title: { display: true, text: xLabel } }, y: yAxis(unit, log) },
      },
    });
  }
  (function sweeps() {
    const body = document.getElementById('sweeps-body');
    const list = data.sweeps || [];
    if (!list.length) {
      body.appendChild(el('p', { class: 'note', text: `No load sweep in this run (the ${run.profile} profile runs none; the quick and full profiles do).` }));
      return;
    }
    list.forEach((sw) => {
      const card = el('div', { class: 'card', id: `sweep-${sw.name}` });
      card.appendChild(el('div', { class: 'scenario-head' }, el('h3', { text: sw.name }),
        el('span', { class: 'tag', text: `${sw.scenario}, varying ${sw.vary}` })));
      if (sw.description) card.appendChild(el('p', { class: 'note', text: sw.description }));
      const grid = el('div', { class: 'grid' });
      card.appendChild(grid);
      let charts = 0;
      sw.curves.forEach((c) => {
        const title = `${c.metric.label} against ${sw.x_label}`;
        const box = curveChart(title, sw.x_label, c.series, c.metric.unit, c.metric.unit === 'ms');
        if (box) { mount(grid, box); charts++; }
      });
      const probes = (sw.capacity || []).filter((c) => c.probes.length);
      if (probes.length) {
        const p99 = curveChart('Capacity search: p99 (ms) against offered rate', 'offered rate (req/s)',
          probes.map((c) => ({ server: c.server, points: c.probes.map((p) => ({ x: p.rate, value: p.p99_ms, low: p.p99_ms, high: p.p99_ms, label: p.held ? 'held' : 'not held' })) })), 'ms', true);
        const cpu = curveChart('Capacity search: server CPU share against offered rate', 'offered rate (req/s)',
          probes.map((c) => ({ server: c.server, points: c.probes.map((p) => ({ x: p.rate, value: p.cpu_share, low: p.cpu_share, high: p.cpu_share, label: p.held ? 'held' : 'not held' })) })), 'share', false);
        [p99, cpu].forEach((b) => { if (b) { mount(grid, b); charts++; } });
        card.appendChild(table(['server', 'capacity (req/s)', 'first rate not held', 'why the last probe failed'],
          probes.map((c) => [swatch(c.server), c.rate === null ? 'none held' : num(c.rate), num(c.failed_rate),
            (c.probes.slice().reverse().find((p) => !p.held) || {}).why_not || ''])));
      }
      const skipped = sw.points.filter((p) => p.skipped);
      if (skipped.length) card.appendChild(el('p', { class: 'note', text: `Points not run: ${skipped.map((p) => `${p.label} (${p.skipped})`).join('; ')}` }));
      if (!charts) card.appendChild(el('p', { class: 'note', text: 'No point of this sweep has a valid trial.' }));
      body.appendChild(card);
    });
  })();

  // ---- builds and binaries -----------------------------------------------------------------
  (function builds() {
    const body = document.getElementById('builds-body');
    const b = data.builds || { rows: [], curves: [] };
    if (!b.rows.length) {
      body.appendChild(el('p', { class: 'note', text: `No build timings in this run (\`hellobench build\`, or a profile with builds: quick times the dev loop, full also CI).` }));
      return;
    }
    const grid = el('div', { class: 'grid' });
    body.appendChild(grid);
    b.rows.forEach((row) => {
      const box = barChart(`Build: ${row.name} (s)`, [{ metric: { label: row.name, unit: 's' }, values: row.values }], { axis: 'seconds' });
      if (box) mount(grid, box);
    });
    b.curves.forEach((c) => {
      const box = curveChart(`Rebuild (${c.loop}) against service size`, 'modules', c.series, 's', false);
      if (box) mount(grid, box);
    });
  })();
  (function binaries() {
    const body = document.getElementById('binaries-body');
    const list = (data.servers || []).filter((s) => s.binary_bytes);
    if (!list.length) { body.appendChild(el('p', { class: 'note', text: 'No binary sizes in this run.' })); return; }
    const mib = (b) => (b === null || b === undefined ? null : b / 1048576);
    const grid = el('div', { class: 'grid' });
    body.appendChild(grid);
    mount(grid, chartBox('Binary size (MiB): as built and stripped', {
      type: 'bar',
      data: {
        labels: list.map((s) => s.name),
        datasets: [
          { label: 'as built', data: list.map((s) => mib(s.binary_bytes)), backgroundColor: list.map((s) => color(s.name)) },
          { label: 'stripped', data: list.map((s) => mib(s.stripped_bytes)), backgroundColor: list.map((s) => color(s.name) + '88') },
        ],
      },
      options: { plugins: { legend: shadeLegend(['as built', 'stripped']), tooltip: tooltipWithInterval('MiB') }, scales: { y: yAxis('MiB') } },
    }, table(['server', 'as built', 'stripped'], list.map((s) => [swatch(s.name),
      `${num(mib(s.binary_bytes))} MiB`, `${num(mib(s.stripped_bytes))} MiB`]))));
    body.appendChild(table(['server', 'label', 'tuning', 'shared libraries'], (data.servers || []).map((s) => [swatch(s.name), s.label, s.tuning,
      s.shared_libraries.length ? s.shared_libraries.filter((l) => !l.startsWith('linux-vdso')).join(' ') : 'none (static)'])));
  })();

  // ---- history -----------------------------------------------------------------------------
  (function history() {
    const body = document.getElementById('history-body');
    const h = data.history || { runs: [] };
    const runs = h.runs || [];
    body.appendChild(el('p', { class: 'note', text: `${runs.length} run(s) under ${h.root || 'the runs folder'}; each point is that run's figure with its interval.` }));
    if (!runs.length) return;
    const label = (r) => `${(r.started_at || r.id).replace('T', ' ').slice(5, 16)} ${r.profile || ''}`;
    const labels = runs.map(label);
    const grid = el('div', { class: 'grid' });
    body.appendChild(grid);
    const claimIds = [];
    runs.forEach((r) => r.claims.forEach((c) => { if (!claimIds.includes(c.id)) claimIds.push(c.id); }));
    claimIds.forEach((id) => {
      const points = runs.map((r) => r.claims.find((c) => c.id === id));
      if (!points.some((p) => p && typeof p.value === 'number')) return;
      const unit = (points.find((p) => p && p.unit) || {}).unit || '';
      const comparison = (points.find((p) => p && p.comparison) || {}).comparison || '';
      const ds = {
        label: `${id}: ${comparison}`,
        data: points.map((p) => (p && typeof p.value === 'number' ? p.value : null)),
        intervals: points.map((p) => (p && typeof p.low === 'number' ? [p.low, p.high] : null)),
        extra: points.map((p) => (p ? `(${p.verdict})` : '')),
        borderColor: '#14213d', backgroundColor: points.map((p) => ({ holds: '#1a7f45', 'does not hold': '#b3261e' }[p && p.verdict] || '#8a6d00')),
        pointRadius: 5, spanGaps: true,
      };
      mount(grid, chartBox(`Claim ${id}: ${comparison} (${unit})`, {
        type: 'line', data: { labels, datasets: [ds] },
        options: { plugins: { legend: { display: false }, tooltip: tooltipWithInterval(unit) }, scales: { y: yAxis(unit) } },
      }));
    });
    const scenarios = [];
    runs.forEach((r) => r.figures.forEach((f) => { if (!scenarios.includes(f.scenario)) scenarios.push(f.scenario); }));
    scenarios.forEach((sc) => {
      ['cpu_us_per_request', 'p99_us'].forEach((metric) => {
        const datasets = servers.map((s) => {
          const pts = runs.map((r) => r.figures.find((f) => f.scenario === sc && f.metric === metric && f.server === s));
          return {
            label: s, data: pts.map((p) => (p ? p.value : null)), intervals: pts.map((p) => (p ? [p.low, p.high] : null)),
            borderColor: color(s), backgroundColor: color(s), spanGaps: true,
          };
        });
        if (!hasPoints(datasets)) return;
        const any = runs.flatMap((r) => r.figures).find((f) => f.metric === metric);
        mount(grid, chartBox(`${sc}: ${any.label} across runs`, {
          type: 'line', data: { labels, datasets },
          options: { plugins: { tooltip: tooltipWithInterval(any.unit) }, scales: { y: yAxis(any.unit) } },
        }));
      });
    });
    body.appendChild(table(['run', 'profile', 'commit', 'complete', 'claims holding'], runs.map((r) => [r.id, r.profile || '', (r.commit || '').slice(0, 10) + (r.dirty ? ' +' : ''),
      r.complete ? 'yes' : 'no', `${r.claims.filter((c) => c.verdict === 'holds').length}/${r.claims.length}`])));
  })();

  // ---- environment, verification, glossary ---------------------------------------------------
  (function environment() {
    const body = document.getElementById('environment-body');
    body.appendChild(table(['item', 'value'], data.environment || []));
    const v = data.verify || {};
    if (v.servers && v.servers.length) {
      body.appendChild(el('h3', { text: 'Contract verification' }));
      body.appendChild(table(['server', 'result', 'checks', 'failed checks'], v.servers.map((s) => [swatch(s.name),
        s.passed ? 'pass' : 'FAIL', s.checks, s.failed.join('; ')])));
      if (v.parity_failures.length) body.appendChild(el('details', {}, el('summary', { text: `Parity differences (${v.parity_failures.length})` }),
        el('ul', {}, v.parity_failures.map((t) => el('li', { text: t })))));
    }
    if ((run.rules_bent || []).length) {
      body.appendChild(el('h3', { text: 'Measurement rules bent on this machine' }));
      body.appendChild(el('ul', {}, run.rules_bent.map((r) => el('li', { text: `rule ${r.rule}: ${r.reason}` }))));
    }
    if ((run.failures || []).length) {
      body.appendChild(el('h3', { text: 'Failures recorded by the run' }));
      body.appendChild(el('ul', {}, run.failures.map((f) => el('li', { class: 'warn', text: f }))));
    }
  })();
  (function glossary() {
    const used = new Set();
    (data.scenarios || []).forEach((s) => s.metrics.forEach((m) => used.add(m.metric.name)));
    (data.sweeps || []).forEach((s) => s.curves.forEach((c) => used.add(c.metric.name)));
    document.getElementById('glossary-body').appendChild(table(['metric', 'unit', 'what it is'],
      (data.glossary || []).filter((m) => used.has(m.name)).map((m) => [m.label, m.unit, m.description])));
  })();
  document.getElementById('footer').textContent =
    `Generated by hellobench ${run.hellobench_version || ''} (report --html) from results.json; ` +
    `charts drawn with Chart.js ${Chart.version}, inlined: this page needs no network.`;

  // Charts last, once the layout has its widths.
  // Room on the value axis for the whiskers, which Chart.js does not count as data.
  function fitIntervals(config) {
    const y = config.options && config.options.scales && config.options.scales.y;
    if (!y) return config;
    let hi = -Infinity; let lo = Infinity;
    config.data.datasets.forEach((ds) => (ds.intervals || []).forEach((iv) => {
      if (iv && isFinite(iv[1])) hi = Math.max(hi, iv[1]);
      if (iv && isFinite(iv[0])) lo = Math.min(lo, iv[0]);
    }));
    if (isFinite(hi)) y.suggestedMax = hi * (y.type === 'logarithmic' ? 1.2 : 1.05);
    if (isFinite(lo) && y.type === 'logarithmic') y.suggestedMin = lo / 1.2;
    return config;
  }
  pendingCharts.forEach((box) => { box.chart = new Chart(box.canvas, fitIntervals(box.pending)); });
})();
