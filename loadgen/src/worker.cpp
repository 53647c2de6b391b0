#include "worker.hpp"

#include <algorithm>
#include <cmath>

namespace loadgen::detail {
namespace {

std::chrono::nanoseconds sweep_interval(std::chrono::nanoseconds timeout) {
  // Timeouts are found by a periodic sweep rather than a timer per request (re-arming a timer
  // per request costs a system call); a tenth of the timeout keeps the error small.
  return std::clamp<std::chrono::nanoseconds>(timeout / 10, std::chrono::milliseconds(1),
                                              std::chrono::milliseconds(100));
}

// Per connection: one recv takes every answer that has arrived (a pipelined batch of 16
// small answers is ~2.5 KiB); larger bodies stream through the parser.
constexpr std::size_t kReadBufferBytes = 16 * 1024;

std::int64_t nanoseconds_between(TimePoint from, TimePoint to) {
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

template <typename Failure>
std::uint64_t& counter(ErrorCounts& errors, Failure failure) {
  switch (failure) {
    case Failure::connect:
      return errors.connect;
    case Failure::read:
      return errors.read;
    case Failure::write:
      return errors.write;
    case Failure::timeout:
      return errors.timeout;
    case Failure::parse:
      break;
  }
  return errors.parse;
}

}  // namespace

// ---------------------------------------------------------------------------- Connection

Connection::Connection(Worker& worker, std::size_t slot, int index)
    : worker_(worker), slot_(slot), in_flight_(static_cast<std::size_t>(worker.setup_.pipeline)) {
  if (!worker_.plain_) {
    render_buffer_.reset(new char[worker_.requests_.max_request_size() * in_flight_.size()]);
    if (worker_.closed_loop())
      draw_keys_ =
          worker_.draw_keys(draws::StreamKind::connection, static_cast<std::uint64_t>(index));
  }
  reset_parser();
}

void Connection::reset_parser() {
  bool head = worker_.requests_.targets.front().head;
  if (in_flight_count_ > 0)
    head = worker_.requests_.targets[in_flight_[in_flight_head_].target].head;
  parser_.reset(head);
}

void Connection::start() { connect(); }

void Connection::connect() {
  state_ = State::connecting;
  connect_started_ = Clock::now();
  worker_.loop_->connect(slot_);
}

void Connection::on_connect(bool ok) {
  if (state_ != State::connecting) return;
  const TimePoint now = Clock::now();
  if (!ok) {
    fail(Failure::connect, now);
    return;
  }
  state_ = State::open;
  backoff_ = std::chrono::milliseconds(0);
  // A connection re-opened after a close, a failure or a timeout (not the first connect, nor
  // the failed attempts in between).
  if (connected_once_ && worker_.in_window(now)) ++worker_.reconnects;
  connected_once_ = true;
  ++worker_.connects;
  worker_.loop_->start_reading(slot_);
  make_available(now);
}

void Connection::make_available(TimePoint now) {
  if (state_ != State::open || writing_ || !worker_.sending_) return;
  const auto depth = in_flight_.size();
  if (worker_.closed_loop()) {
    // As wrk does with --pipeline: the next batch goes when every answer of the last is in.
    if (in_flight_count_ == 0) send(now, depth, false);
    return;
  }
  const std::size_t room = depth - in_flight_count_;
  if (room == 0) return;
  worker_.release_due(now);
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(room, worker_.pending()));
  if (count > 0) {
    send(now, count, true);
  } else if (!idle_listed) {
    idle_listed = true;
    worker_.idle_.push_back(this);
    worker_.arm_schedule_timer();  // someone now waits for the next due request
  }
}

void Connection::send(TimePoint now, std::size_t count, bool scheduled) {
  const bool was_empty = in_flight_count_ == 0;
  std::size_t rendered_bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    Request request{now, now};
    // The request's index in its draw stream: its place in the thread's schedule (open loop),
    // or this connection's count of requests (closed loop); never a matter of timing.
    std::uint64_t n = 0;
    if (scheduled) {
      n = worker_.dispatched_++;
      request.due = worker_.due_time(n);
      const auto late_by = now - request.due;
      if (late_by > kLateThreshold && worker_.in_window(request.due)) {
        ++worker_.late_sends;
        worker_.late_by_ns.record(std::min(nanoseconds_between(request.due, now),
                                           worker_.late_by_ns.highest_trackable()));
      }
    } else {
      n = requests_started_++;
    }
    if (!worker_.plain_)
      rendered_bytes += worker_.render(n, scheduled ? worker_.thread_draw_keys_ : draw_keys_,
                                       render_buffer_.get() + rendered_bytes, request);
    in_flight_[(in_flight_head_ + in_flight_count_) % in_flight_.size()] = request;
    ++in_flight_count_;
  }
  // The parser waits for the answer to the oldest request; with HEAD and other methods mixed,
  // that request's method decides whether the answer has a body.
  if (worker_.mixed_head_ && was_empty && !parser_.started()) reset_parser();
  worker_.in_flight_total_ += count;
  write_offset_ = 0;
  if (worker_.plain_) {
    write_data_ = worker_.request_batch_.data();
    write_end_ = count * worker_.request_bytes_;
  } else {
    write_data_ = render_buffer_.get();
    write_end_ = rendered_bytes;
  }
  writing_ = true;
  write_some();
}

void Connection::write_some() {
  // The batch buffer holds `pipeline` copies of a plain request, and the render buffer a
  // batch of rendered ones, so any count is one write.
  worker_.loop_->write(slot_, write_data_ + write_offset_, write_end_ - write_offset_);
}

void Connection::on_write(bool ok, std::size_t bytes) {
  if (!ok) {
    fail(Failure::write, Clock::now());
    return;
  }
  write_offset_ += bytes;
  if (write_offset_ < write_end_) {
    write_some();
    return;
  }
  writing_ = false;
  // Room for more: answers came back before this completion ran, or (open loop with a
  // pipeline) more requests came due while writing.
  if (in_flight_count_ < in_flight_.size()) make_available(Clock::now());
}

void Connection::on_read_error() { fail(Failure::read, Clock::now()); }

void Connection::on_read(const char* data, std::size_t bytes) {
  const TimePoint now = Clock::now();
  worker_.bytes_read += bytes;
  std::size_t offset = 0;
  while (offset < bytes) {
    std::size_t used = 0;
    const auto status = parser_.parse(data + offset, bytes - offset, used);
    offset += used;
    if (status == ResponseParser::Status::need_more) break;
    if (status == ResponseParser::Status::error) {
      fail(Failure::parse, now);
      return;
    }
    if (!on_response(now)) return;
  }
  // Send: the engine then goes on reading while the connection stays open.
  make_available(now);
}

bool Connection::on_response(TimePoint now) {
  if (in_flight_count_ == 0) {  // an answer nobody asked for
    fail(Failure::parse, now);
    return false;
  }
  const Request request = in_flight_[in_flight_head_];
  in_flight_head_ = (in_flight_head_ + 1) % in_flight_.size();
  --in_flight_count_;
  --worker_.in_flight_total_;
  if (worker_.in_window(request.due)) worker_.record_answer(request, now, parser_.status_code());
  const bool keep_alive = parser_.keep_alive();
  reset_parser();
  if (!keep_alive) {
    // The server closes after this answer: requests already sent behind it are lost.
    if (in_flight_count_ > 0) {
      fail(Failure::read, now);
    } else {
      close_socket();
      reconnect(/*after_connect_failure=*/false);
      worker_.maybe_finish();
    }
    return false;
  }
  worker_.maybe_finish();
  return state_ == State::open;
}

void Connection::on_eof(TimePoint now) {
  switch (parser_.finish_at_eof()) {
    case ResponseParser::Status::complete:
      on_response(now);  // its Connection: close handling reconnects
      return;
    case ResponseParser::Status::error:
      fail(Failure::read, now);  // a response cut short
      return;
    case ResponseParser::Status::need_more:
      if (in_flight_count_ > 0) {
        fail(Failure::read, now);
      } else {
        // An idle keep-alive connection closed by the server: not an error.
        close_socket();
        reconnect(false);
        worker_.maybe_finish();
      }
      return;
  }
}

void Connection::fail(Failure failure, TimePoint now) {
  std::uint64_t lost = 0;
  if (failure == Failure::connect) {
    ++worker_.connect_failures;
    lost = worker_.in_window(now) ? 1 : 0;
  } else if (failure == Failure::parse && in_flight_count_ == 0) {
    lost = worker_.in_window(now) ? 1 : 0;  // bytes that answer no request
  } else {
    lost = lose_in_flight(failure);
  }
  counter(worker_.errors, failure) += lost;
  for (std::uint64_t i = 0; i < lost; ++i) worker_.count_live_error();
  worker_.in_flight_total_ -= in_flight_count_;
  close_socket();
  reconnect(failure == Failure::connect);
  worker_.maybe_finish();
}

void Connection::close_socket() {
  if (state_ == State::connecting || state_ == State::open) worker_.loop_->close(slot_);
  worker_.loop_->cancel_timer(Worker::kConnectionTimers + slot_);
  state_ = State::closed;
  writing_ = false;
  in_flight_head_ = 0;
  in_flight_count_ = 0;
  reset_parser();
}

void Connection::reconnect(bool after_connect_failure) {
  if (!worker_.sending_) return;
  if (!after_connect_failure) {
    connect();
    return;
  }
  // A refused connect would otherwise spin: wait 1 ms, doubling up to 100 ms, until one succeeds.
  backoff_ = std::clamp(backoff_ * 2, std::chrono::milliseconds(1), std::chrono::milliseconds(100));
  state_ = State::waiting_to_connect;
  worker_.loop_->set_timer(Worker::kConnectionTimers + slot_, Clock::now() + backoff_);
}

void Connection::on_retry_timer() {
  if (state_ == State::waiting_to_connect && worker_.sending_) connect();
}

void Connection::check_timeouts(TimePoint now) {
  const auto timeout = worker_.setup_.timeout;
  if (state_ == State::connecting && now - connect_started_ >= timeout) {
    fail(Failure::connect, now);
  } else if (state_ == State::open && in_flight_count_ > 0 &&
             now - in_flight_[in_flight_head_].sent >= timeout) {
    fail(Failure::timeout, now);
  }
}

std::uint64_t Connection::lose_in_flight(Failure failure) {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < in_flight_count_; ++i) {
    const Request& request = in_flight_[(in_flight_head_ + i) % in_flight_.size()];
    if (!worker_.in_window(request.due)) continue;
    ++count;
    if (!worker_.target_stats.empty())
      ++counter(worker_.target_stats[request.target].errors, failure);
  }
  return count;
}

void Connection::shut_down() {
  worker_.errors.timeout += lose_in_flight(Failure::timeout);
  worker_.in_flight_total_ -= in_flight_count_;
  close_socket();
}

// -------------------------------------------------------------------------------- Worker

Worker::Worker(WorkerSetup setup)
    : setup_(std::move(setup)),
      requests_(*setup_.requests),
      plain_(requests_.plain()),
      values_(requests_.variables.size(), 0) {
  if (plain_) {
    const std::string& request = requests_.targets.front().request.text();
    request_bytes_ = request.size();
    for (int i = 0; i < setup_.pipeline; ++i) request_batch_ += request;
  } else if (!closed_loop()) {
    thread_draw_keys_ =
        draw_keys(draws::StreamKind::thread, static_cast<std::uint64_t>(setup_.index));
  }
  const auto& targets = requests_.targets;
  mixed_head_ = std::any_of(targets.begin(), targets.end(), [](const auto& t) { return t.head; }) &&
                !std::all_of(targets.begin(), targets.end(), [](const auto& t) { return t.head; });
  if (requests_.from_targets_file) target_stats.resize(targets.size());
  connections_.reserve(static_cast<std::size_t>(setup_.connections));
  for (int i = 0; i < setup_.connections; ++i)
    connections_.push_back(std::make_unique<Connection>(*this, static_cast<std::size_t>(i),
                                                        setup_.first_connection + i));
  idle_.reserve(connections_.size());
}

Worker::~Worker() = default;

void Worker::prepare() {
  LoopSetup loop;
  loop.endpoints = setup_.endpoints;
  loop.connections = connections_.size();
  loop.timers = kConnectionTimers + connections_.size();
  loop.read_buffer_bytes = kReadBufferBytes;
  loop_ =
      setup_.engine == Engine::uring ? make_uring_loop(loop, *this) : make_asio_loop(loop, *this);
}

void Worker::on_connected(std::size_t connection, bool ok) {
  connections_[connection]->on_connect(ok);
}
void Worker::on_written(std::size_t connection, bool ok, std::size_t bytes) {
  connections_[connection]->on_write(ok, bytes);
}
void Worker::on_received(std::size_t connection, const char* data, std::size_t bytes) {
  connections_[connection]->on_read(data, bytes);
}
void Worker::on_eof(std::size_t connection) { connections_[connection]->on_eof(Clock::now()); }
void Worker::on_read_failed(std::size_t connection) { connections_[connection]->on_read_error(); }

void Worker::on_timer(std::size_t timer) {
  if (finished_) return;
  switch (timer) {
    case kScheduleTimer:
      on_schedule_timer();
      return;
    case kSweepTimer:
      on_sweep_timer();
      return;
    case kPhaseTimer:
      // At the window's end the window closes; after the drain the run ends.
      if (phase_ == Phase::measuring) {
        close_window(Clock::now());
      } else {
        finish();
      }
      return;
    default:
      connections_[timer - kConnectionTimers]->on_retry_timer();
  }
}

std::vector<std::uint64_t> Worker::draw_keys(draws::StreamKind kind, std::uint64_t index) const {
  const std::uint64_t stream = draws::stream_key(setup_.seed, kind, index);
  std::vector<std::uint64_t> keys = {draws::name_key(stream, draws::kTargetChoice)};
  for (const auto& variable : requests_.variables)
    keys.push_back(draws::name_key(stream, variable.name));
  return keys;
}

std::size_t Worker::render(std::uint64_t n, const std::vector<std::uint64_t>& keys, char* out,
                           Request& request) {
  const std::size_t t = requests_.pick(draws::bits(keys[0], n));
  const CompiledTarget& target = requests_.targets[t];
  for (const std::size_t v : target.request.variables_used())
    values_[v] = requests_.variables[v].distribution.draw(draws::bits(keys[v + 1], n));
  request.target = static_cast<std::uint32_t>(t);
  if (target.uses_wait) request.wait_ns = values_[*requests_.wait_variable] * 1'000'000;
  return target.request.render(out, values_.data());
}

void Worker::record_answer(const Request& request, TimePoint now, int status) {
  ++requests;
  live_requests.store(live_requests.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  const std::int64_t latency =
      std::min(nanoseconds_between(request.due, now), latency_ns.highest_trackable());
  latency_ns.record(latency);
  const bool status_4xx = status >= 400 && status < 500;
  const bool status_5xx = status >= 500;
  if (status_4xx) ++errors.status_4xx;
  if (status_5xx) ++errors.status_5xx;
  if (status_4xx || status_5xx) count_live_error();
  // Overhead: the latency beyond the wait the request asked for. A server whose timer fires
  // early answers in less than the wait; those samples count as 0 and are counted apart.
  std::int64_t overhead = 0;
  bool clamped = false;
  if (request.wait_ns >= 0) {
    overhead = latency - request.wait_ns;
    clamped = overhead < 0;
    if (clamped) {
      overhead = 0;
      ++overhead_clamped;
    }
    overhead_ns.record(overhead);
  }
  if (!target_stats.empty()) {
    TargetResult& target = target_stats[request.target];
    ++target.requests;
    target.latency_ns.record(latency);
    if (status_4xx) ++target.errors.status_4xx;
    if (status_5xx) ++target.errors.status_5xx;
    if (request.wait_ns >= 0) {
      target.overhead_ns.record(overhead);
      if (clamped) ++target.overhead_clamped;
    }
  }
}

void Worker::set_timeline(TimePoint start, TimePoint measure_start, TimePoint window_end) {
  setup_.start = start;
  setup_.measure_start = measure_start;
  setup_.window_end = window_end;
  if (setup_.rate) {
    interval_ns_ = 1e9 / *setup_.rate;
    // The first request due at or after the window's end: the schedule stops there.
    const double span_ns =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                setup_.window_end - setup_.start - setup_.schedule_offset)
                                .count());
    schedule_end_ = static_cast<std::uint64_t>(std::max(0.0, std::ceil(span_ns / interval_ns_)));
    while (due_time(schedule_end_) < setup_.window_end) ++schedule_end_;
    while (schedule_end_ > 0 && due_time(schedule_end_ - 1) >= setup_.window_end) --schedule_end_;
  }
}

TimePoint Worker::due_time(std::uint64_t n) const {
  // From the start each time (not by adding intervals) so rounding never drifts.
  return setup_.start + setup_.schedule_offset +
         std::chrono::nanoseconds(std::llround(static_cast<double>(n) * interval_ns_));
}

void Worker::release_due(TimePoint now) {
  if (!sending_ || released_ >= schedule_end_ || due_time(released_) > now) return;
  const double elapsed_ns =
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              now - setup_.start - setup_.schedule_offset)
                              .count());
  std::uint64_t n =
      static_cast<std::uint64_t>(std::max(0.0, std::floor(elapsed_ns / interval_ns_))) + 1;
  while (n < schedule_end_ && due_time(n) <= now) ++n;
  while (n > released_ && due_time(n - 1) > now) --n;
  released_ = std::max(released_, std::min(n, schedule_end_));
}

void Worker::dispatch(TimePoint now) {
  while (pending() > 0 && !idle_.empty()) {
    Connection* connection = idle_.back();
    idle_.pop_back();
    connection->idle_listed = false;
    connection->make_available(now);
  }
}

void Worker::arm_schedule_timer() {
  // Only while a connection is idle: when all are busy, each answer releases what came due
  // meanwhile (make_available), and a timer per due request would only burn CPU.
  if (schedule_timer_armed_ || idle_.empty() || !sending_ || released_ >= schedule_end_) return;
  schedule_timer_armed_ = true;
  loop_->set_timer(kScheduleTimer, due_time(released_));
}

void Worker::on_schedule_timer() {
  schedule_timer_armed_ = false;
  const TimePoint now = Clock::now();
  release_due(now);
  dispatch(now);
  arm_schedule_timer();
}

void Worker::arm_sweep_timer() {
  loop_->set_timer(kSweepTimer, Clock::now() + sweep_interval(setup_.timeout));
}

void Worker::on_sweep_timer() {
  const TimePoint now = Clock::now();
  if (sending_ &&
      ((setup_.stop && setup_.stop->load(std::memory_order_relaxed)) || now >= setup_.window_end))
    close_window(now);
  for (auto& connection : connections_) {
    if (finished_) return;
    connection->check_timeouts(now);
  }
  if (!finished_) arm_sweep_timer();
}

void Worker::close_window(TimePoint now) {
  if (!sending_) return;
  // Releases are lazy while every connection is busy: bring the queue up to date first.
  release_due(now);
  sending_ = false;
  window_closed_at = std::min(now, setup_.window_end);
  // Requests that came due but found no free connection before the end were never sent:
  // they count as late sends (and unsent), not silently dropped.
  for (std::uint64_t n = dispatched_; n < released_; ++n)
    if (in_window(due_time(n))) ++unsent;
  late_sends += unsent;
  dispatched_ = released_;
  loop_->cancel_timer(kScheduleTimer);
  schedule_timer_armed_ = false;
  // Every request in flight was sent by now, so each one is answered or timed out by
  // now + timeout; one more sweep finds the last of them.
  phase_ = Phase::draining;
  loop_->set_timer(kPhaseTimer, now + setup_.timeout + sweep_interval(setup_.timeout));
  maybe_finish();
}

void Worker::maybe_finish() {
  if (!sending_ && in_flight_total_ == 0 && !finished_) finish();
}

void Worker::finish() {
  finished_ = true;
  for (auto& connection : connections_) connection->shut_down();
  for (std::size_t timer = 0; timer < kConnectionTimers; ++timer) loop_->cancel_timer(timer);
  loop_->stop();
}

void Worker::run() {
  for (auto& connection : connections_) connection->start();
  arm_sweep_timer();
  loop_->set_timer(kPhaseTimer, setup_.window_end);
  loop_->run();
  loop_.reset();  // sockets, ring and buffers go in the thread that made them
}

}  // namespace loadgen::detail
