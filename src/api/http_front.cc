// HttpFront on Boost.Beast: asynchronous reads and writes on a few I/O threads, deadlines
// per phase, connection caps, a bounded body budget, handlers on a worker pool.
#include "api/http_front.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace nexus::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Unread request bytes drained after a refusal, at most (then the connection is reset).
constexpr size_t kMaxLingerBytes = 4 * 1024 * 1024;
constexpr int kListenBacklog = 1024;

// Sent, best effort and without blocking, on a connection refused by the caps.
const std::string& BusyResponse() {
  static const std::string kResponse = [] {
    std::string body =
        R"({"error":{"code":"too_many_connections","message":"too many connections, retry shortly"}})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  return kResponse;
}

// Errors of the HTTP parser (as opposed to socket errors).
bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category();
}

bool ValueIs(const std::string& value, const char* expected) {
  return HeaderNameEquals(value, expected);  // tokens compare case-insensitively too
}

}  // namespace

class Session;

struct HttpFront::Impl {
  Impl(FrontOptions o, obs::Metrics& m, AdmitFn a, HandleFn h, RefuseFn r)
      : options(std::move(o)),
        metrics(m),
        admit(std::move(a)),
        handle(std::move(h)),
        refuse(std::move(r)) {}

  FrontOptions options;
  obs::Metrics& metrics;
  AdmitFn admit;
  HandleFn handle;
  RefuseFn refuse;

  // Declared before the io_context: sessions destroyed with it release their counts here.
  std::mutex mu;
  std::map<std::string, int> per_client;
  int connections = 0;
  std::atomic<size_t> buffered{0};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  bool started = false;

  asio::io_context ioc;
  // The acceptor and its retry timer live on one strand (Stop closes them from there).
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  asio::steady_timer accept_retry{accept_strand};
  std::unique_ptr<asio::thread_pool> workers;
  std::vector<std::thread> io_threads;

  bool AdmitConnection(const std::string& addr) {
    const char* reason = nullptr;
    {
      std::lock_guard lock(mu);
      if (connections >= options.max_connections)
        reason = "total";
      else if (per_client[addr] >= options.max_connections_per_client)
        reason = "per_client";
      else {
        ++connections;
        ++per_client[addr];
      }
      if (reason && per_client[addr] == 0) per_client.erase(addr);
    }
    if (reason) metrics.Inc("nexus_http_connections_refused_total", {{"reason", reason}});
    return reason == nullptr;
  }

  void ReleaseConnection(const std::string& addr) {
    std::lock_guard lock(mu);
    --connections;
    auto it = per_client.find(addr);
    if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
  }

  bool ReserveBody(size_t n) {
    size_t cur = buffered.load();
    do {
      if (cur + n > options.max_buffered_body_bytes) return false;
    } while (!buffered.compare_exchange_weak(cur, cur + n));
    return true;
  }

  void DoAccept();
  void OnAccept(tcp::socket socket);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpFront::Impl& f, tcp::socket socket, std::string addr)
      : f_(f),
        stream_(std::move(socket)),
        buffer_(std::max<size_t>(64 * 1024, 2 * f.options.max_header_bytes)),
        addr_(std::move(addr)) {}
  ~Session() {
    ReleaseBody();
    RemoveSpool();
    f_.ReleaseConnection(addr_);
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHead(); });
  }

 private:
  void ReadHead() {
    RemoveSpool();
    file_parser_.reset();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(f_.options.max_header_bytes));
    // The head is read without a body limit: beast would otherwise refuse a Content-Length
    // over it before the router has matched the request, and the 413 could not name the
    // route's own limit. That limit is applied in OnHead, before a byte of the body is read.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    req_ = HttpRequest{};
    limit_ = 0;
    stream_.expires_after(f_.options.head_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(beast::error_code ec) {
    if (ec) return OnHeadError(ec);
    auto& head = parser_->get();
    req_.method = std::string(head.method_string());
    std::string target(head.target());
    size_t q = target.find('?');
    req_.path = PercentDecode(target.substr(0, q), false);
    if (q != std::string::npos) req_.query = target.substr(q + 1);
    for (const auto& field : head)
      req_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    req_.remote_addr = addr_;
    keep_alive_ = head.keep_alive();
    bool body_pending = !parser_->is_done();

    if (auto early = f_.admit(req_))
      return Answer(std::move(*early), !keep_alive_ || body_pending, body_pending);
    if (!body_pending) return Dispatch();
    limit_ = req_.max_body_bytes > 0 ? req_.max_body_bytes : f_.options.max_body_bytes;
    auto length = parser_->content_length();
    if (length && *length > limit_) return RefuseTooLarge();
    parser_->body_limit(limit_);
    if (!req_.spool_dir.empty()) return StartSpool();
    size_t want = length ? static_cast<size_t>(*length) : limit_;
    if (f_.stopping || !f_.ReserveBody(want)) {
      f_.metrics.Inc("nexus_http_refused_total", {{"reason", "body_budget"}});
      HttpResponse busy = f_.refuse(503, "server_busy",
                                    "the server is holding too many request bodies; retry shortly");
      busy.SetHeader("Retry-After", "1");
      return Answer(std::move(busy), true, true);
    }
    reserved_ = want;
    ContinueThen(&Session::ReadBody);
  }

  // Answers "Expect: 100-continue" (when asked) before reading the body with `next`.
  void ContinueThen(void (Session::*next)()) {
    if (ValueIs(req_.Header("Expect"), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(f_.options.write_timeout);
      return http::async_write(
          stream_, *cont, [self = shared_from_this(), cont, next](beast::error_code wec, size_t) {
            if (wec) return self->Close();
            ((*self).*next)();
          });
    }
    (this->*next)();
  }

  // The body goes to a new file in req_.spool_dir (HttpRequest::spool_dir), never to memory.
  void StartSpool() {
    std::string path = req_.spool_dir + "/upload-XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0) {
      spdlog::error("event=spool_failed dir=\"{}\" errno={}", req_.spool_dir, errno);
      return Refuse(503, "server_busy", "the upload cannot be stored right now; retry shortly");
    }
    ::close(fd);
    spool_path_ = path;
    file_parser_.emplace(std::move(*parser_));
    parser_.reset();
    file_parser_->body_limit(limit_);
    beast::error_code ec;
    file_parser_->get().body().open(path.c_str(), beast::file_mode::write, ec);
    if (ec) {
      spdlog::error("event=spool_failed dir=\"{}\" error=\"{}\"", req_.spool_dir, ec.message());
      return Refuse(503, "server_busy", "the upload cannot be stored right now; retry shortly");
    }
    spool_started_ = std::chrono::steady_clock::now();
    spooled_ = 0;
    ContinueThen(&Session::ReadSpool);
  }

  void ReadSpool() {
    stream_.expires_after(f_.options.body_timeout);
    http::async_read_some(stream_, buffer_, *file_parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->spooled_ += n;
                            self->OnSpool(ec);
                          });
  }

  void OnSpool(beast::error_code ec) {
    if (BodyReadFailed(ec)) return;
    if (!file_parser_->is_done()) {
      // A body may be large but must keep moving (a trickle would hold the connection).
      auto elapsed = std::chrono::steady_clock::now() - spool_started_;
      const double secs = std::chrono::duration<double>(elapsed).count();
      if (elapsed > f_.options.body_timeout &&
          static_cast<double>(spooled_) <
              secs * static_cast<double>(f_.options.min_spool_bytes_per_second)) {
        f_.metrics.Inc("nexus_http_timeouts_total", {{"phase", "body"}});
        return Close();
      }
      return ReadSpool();
    }
    file_parser_->get().body().close();
    req_.body_file = spool_path_;
    Dispatch();
  }

  void OnHeadError(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      f_.metrics.Inc("nexus_http_timeouts_total", {{"phase", "head"}});
      return;  // the stream closed the socket
    }
    if (ec == http::error::end_of_stream || !IsHttpError(ec))
      return Close();  // the peer went away (or a socket error)
    if (ec == http::error::header_limit)
      return Refuse(431, "headers_too_large",
                    "request headers are larger than " +
                        std::to_string(f_.options.max_header_bytes) + " bytes");
    if (ec == http::error::body_limit) return RefuseTooLarge();
    if (ec == http::error::partial_message) return Close();
    Refuse(400, "bad_request", "malformed HTTP request (" + ec.message() + ")");
  }

  void ReadBody() {
    stream_.expires_after(f_.options.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  // Answers (or closes) a failed body read of either kind; false when `ec` is no failure.
  bool BodyReadFailed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == beast::error::timeout) {
      f_.metrics.Inc("nexus_http_timeouts_total", {{"phase", "body"}});
    } else if (ec == http::error::body_limit) {
      RefuseTooLarge();
    } else if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
               !IsHttpError(ec)) {
      Close();
    } else {
      Refuse(400, "bad_request", "malformed request body (" + ec.message() + ")");
    }
    return true;
  }

  void OnBody(beast::error_code ec) {
    if (BodyReadFailed(ec)) return;
    req_.body = std::move(parser_->get().body());
    Dispatch();
  }

  void Dispatch() {
    stream_.expires_never();
    if (f_.stopping) {
      HttpResponse busy = f_.refuse(503, "shutting_down", "the server is shutting down");
      return Answer(std::move(busy), true, false);
    }
    ++f_.in_flight;
    counted_ = true;
    asio::post(*f_.workers, [self = shared_from_this()] {
      HttpResponse res;
      try {
        self->f_.handle(self->req_, res);
      } catch (const std::exception& e) {
        spdlog::error("event=unhandled_exception method={} path={} what=\"{}\"", self->req_.method,
                      self->req_.path, e.what());
        res = self->f_.refuse(500, "internal", "internal error");
      }
      asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        self->Answer(std::move(res), !self->keep_alive_, false);
      });
    });
  }

  void RefuseTooLarge() {
    RemoveSpool();
    f_.metrics.Inc("nexus_http_refused_total", {{"reason", "body_too_large"}});
    Refuse(413, "payload_too_large",
           "request body is larger than " +
               std::to_string(limit_ > 0 ? limit_ : f_.options.max_body_bytes) + " bytes");
  }

  void RemoveSpool() {
    if (spool_path_.empty()) return;
    if (file_parser_) file_parser_->get().body().close();
    ::unlink(spool_path_.c_str());  // ENOENT when the handler took the file: fine
    spool_path_.clear();
  }

  void Refuse(int status, const std::string& code, const std::string& message) {
    Answer(f_.refuse(status, code, message), true, true);
  }

  void Answer(HttpResponse r, bool close, bool linger) {
    ReleaseBody();
    if (ValueIs(r.Header("Connection"), "close")) close = true;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(static_cast<unsigned>(r.status));
    res->version(11);
    for (auto& [name, value] : r.headers)
      if (!HeaderNameEquals(name, "Connection") && !HeaderNameEquals(name, "Content-Length"))
        res->insert(name, value);
    bool bodiless_status = r.status == 204 || r.status == 304 || r.status < 200;
    if (r.source && req_.method != "HEAD" && !bodiless_status)
      return AnswerStream(std::move(r), close);
    size_t length = r.source ? r.source->length : r.body.size();
    if (req_.method != "HEAD" && !r.source) res->body() = std::move(r.body);
    if (!bodiless_status) res->content_length(length);
    res->keep_alive(!close);
    stream_.expires_after(f_.options.write_timeout);
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, close, linger](beast::error_code ec, size_t) {
          self->Finished();
          if (ec == beast::error::timeout)
            self->f_.metrics.Inc("nexus_http_timeouts_total", {{"phase", "write"}});
          if (ec) return self->Close();
          if (!close) return self->ReadHead();
          if (linger) return self->Linger();
          self->Close();
        });
  }

  // A body from a BodySource, 64 KiB at a time: the header, then each piece as it is read.
  void AnswerStream(HttpResponse r, bool close) {
    auto res = std::make_shared<http::response<http::buffer_body>>();
    res->result(static_cast<unsigned>(r.status));
    res->version(11);
    for (auto& [name, value] : r.headers)
      if (!HeaderNameEquals(name, "Connection") && !HeaderNameEquals(name, "Content-Length"))
        res->insert(name, value);
    res->content_length(r.source->length);
    res->keep_alive(!close);
    res->body().data = nullptr;
    res->body().more = true;
    auto sr = std::make_shared<http::response_serializer<http::buffer_body>>(*res);
    stream_.expires_after(f_.options.write_timeout);
    http::async_write_header(
        stream_, *sr,
        [self = shared_from_this(), res, sr, src = r.source, close](beast::error_code ec, size_t) {
          if (ec) {
            self->Finished();
            return self->Close();
          }
          self->WritePiece(res, sr, src, 0, close);
        });
  }

  void WritePiece(std::shared_ptr<http::response<http::buffer_body>> res,
                  std::shared_ptr<http::response_serializer<http::buffer_body>> sr,
                  std::shared_ptr<const BodySource> src, uint64_t offset, bool close) {
    const uint64_t left = src->length - offset;
    size_t n = 0;
    if (left > 0) {
      piece_.resize(64 * 1024);
      n = src->read(offset, piece_.data(),
                    static_cast<size_t>(std::min<uint64_t>(left, piece_.size())));
      if (n == 0) {  // the source failed mid-body: the client must not take it as complete
        spdlog::error("event=stream_failed path={} offset={}", req_.path, offset);
        Finished();
        return Close();
      }
    }
    res->body().data = n ? piece_.data() : nullptr;
    res->body().size = n;
    res->body().more = offset + n < src->length;
    stream_.expires_after(f_.options.write_timeout);
    http::async_write(
        stream_, *sr,
        [self = shared_from_this(), res, sr, src, offset, n, close](beast::error_code ec, size_t) {
          if (ec == http::error::need_buffer) ec = {};
          if (ec) {
            self->Finished();
            if (ec == beast::error::timeout)
              self->f_.metrics.Inc("nexus_http_timeouts_total", {{"phase", "write"}});
            return self->Close();
          }
          if (!sr->is_done()) return self->WritePiece(res, sr, src, offset + n, close);
          self->Finished();
          if (!close) return self->ReadHead();
          self->Close();
        });
  }

  // After a refusal with unread request bytes: stop sending, drain what the client still
  // sends for a moment so it reads the answer instead of a reset, then close.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(f_.options.linger_timeout);
    drain_.resize(16 * 1024);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxLingerBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void Finished() {
    if (counted_) {
      counted_ = false;
      --f_.in_flight;
    }
  }

  void ReleaseBody() {
    if (reserved_ > 0) {
      f_.buffered -= reserved_;
      reserved_ = 0;
    }
  }

  HttpFront::Impl& f_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;  // spooled bodies
  std::string spool_path_;  // the spooled body's file until it is answered ("" = none)
  std::chrono::steady_clock::time_point spool_started_;
  uint64_t spooled_ = 0;     // body bytes read into the spool file so far
  std::vector<char> piece_;  // the buffer of a streamed response
  HttpRequest req_;
  std::string addr_;
  bool keep_alive_ = true;
  bool counted_ = false;
  size_t reserved_ = 0;
  size_t limit_ = 0;  // body limit of the current request (0 until its route is known)
  std::vector<char> drain_;
  size_t drained_ = 0;
};

void HttpFront::Impl::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: back off instead of spinning.
      spdlog::warn("event=accept_failed error=\"{}\"", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code wec) {
        if (!wec && acceptor.is_open()) DoAccept();
      });
      return;
    }
    OnAccept(std::move(socket));
    DoAccept();
  });
}

void HttpFront::Impl::OnAccept(tcp::socket socket) {
  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;
  auto address = peer.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  std::string addr = address.to_string();
  if (stopping || !AdmitConnection(addr)) {
    const std::string& busy = BusyResponse();
    ::send(socket.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    socket.close(ec);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  std::make_shared<Session>(*this, std::move(socket), std::move(addr))->Start();
}

HttpFront::HttpFront(FrontOptions options, obs::Metrics& metrics, AdmitFn admit, HandleFn handle,
                     RefuseFn refuse)
    : impl_(std::make_unique<Impl>(std::move(options), metrics, std::move(admit), std::move(handle),
                                   std::move(refuse))) {
  metrics.Describe("nexus_http_connections_refused_total", "counter",
                   "Connections closed at accept by the total or per-client cap");
  metrics.Describe("nexus_http_timeouts_total", "counter",
                   "Connections closed because a request head, body or response missed its "
                   "deadline");
  metrics.Describe("nexus_http_refused_total", "counter",
                   "Requests refused before their body was read (size, body budget)");
}

HttpFront::~HttpFront() { Stop(); }

bool HttpFront::running() const { return impl_->started && !impl_->stopping; }

Result<int> HttpFront::Start(const std::string& host, int port) {
  Impl& f = *impl_;
  auto fail = [&](const std::string& why) -> Status {
    beast::error_code ignored;
    f.acceptor.close(ignored);
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + host + ":" + std::to_string(port) + " (" + why + ")");
  };
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  } else {
    tcp::resolver resolver(f.ioc);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) return fail("cannot resolve the host");
    endpoint = *results.begin();
  }
  f.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail(ec.message());
  // SO_REUSEADDR only (no SO_REUSEPORT): a port already taken is reported, not shared.
  f.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  f.acceptor.bind(endpoint, ec);
  if (ec) return fail("address in use or not available");
  f.acceptor.listen(kListenBacklog, ec);
  if (ec) return fail(ec.message());
  int bound = f.acceptor.local_endpoint().port();
  f.workers = std::make_unique<asio::thread_pool>(std::max(1, f.options.worker_threads));
  f.started = true;
  f.DoAccept();
  for (int i = 0; i < std::max(1, f.options.io_threads); ++i)
    f.io_threads.emplace_back([&f] { f.ioc.run(); });
  return bound;
}

void HttpFront::Stop() {
  Impl& f = *impl_;
  if (!f.started || f.stopping.exchange(true)) return;
  asio::post(f.accept_strand, [&f] {
    beast::error_code ec;
    f.acceptor.close(ec);
    f.accept_retry.cancel();
  });
  // In-flight handlers finish; their answers get a moment to be written.
  f.workers->join();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (f.in_flight > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.ioc.stop();
  for (auto& t : f.io_threads) t.join();
  f.io_threads.clear();
}

}  // namespace nexus::api
