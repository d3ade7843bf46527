// TestRail attachments (issue 17): the streaming multipart body, background acquisition,
// the uploader and the listing. See attachments.h.
#include "testrail/attachments.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "testrail/base_url.h"
#include "testrail/errors.h"
#include "testrail/retry_policy.h"

namespace nexus::testrail {
namespace {

using json = nlohmann::json;

constexpr char kRequestsTotal[] = "nexus_testrail_requests_total";
constexpr char kRequestSeconds[] = "nexus_testrail_request_duration_seconds";
constexpr char kRetriesTotal[] = "nexus_testrail_retries_total";
constexpr char kMethod[] = "add_attachment_to_result";

std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                 uint32_t{static_cast<unsigned char>(in[i + 2])};
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t n = uint32_t{static_cast<unsigned char>(in[i])} << 16;
    if (i + 1 < in.size()) n |= uint32_t{static_cast<unsigned char>(in[i + 1])} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// As the client's: an outcome TestRail may or may not have applied; never retried here.
Status AmbiguousWrite(const Status& st) {
  return Status(st.code(),
                st.message() +
                    " The write may or may not have been applied by TestRail; it was not "
                    "retried.",
                "", std::string(ErrorReason(TestRailErrorKind::kAmbiguousWrite)));
}

// prefix + content + suffix, read at any offset.
class MultipartSource : public BodySource {
 public:
  MultipartSource(std::string prefix, std::shared_ptr<BodySource> content, std::string suffix)
      : prefix_(std::move(prefix)), content_(std::move(content)), suffix_(std::move(suffix)) {}
  uint64_t size() const override { return prefix_.size() + content_->size() + suffix_.size(); }
  size_t ReadAt(uint64_t offset, char* buf, size_t cap) override {
    size_t done = 0;
    const uint64_t content_end = prefix_.size() + content_->size();
    while (done < cap) {
      const uint64_t at = offset + done;
      if (at < prefix_.size()) {
        size_t n = std::min<size_t>(cap - done, prefix_.size() - at);
        std::memcpy(buf + done, prefix_.data() + at, n);
        done += n;
      } else if (at < content_end) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(cap - done, content_end - at));
        size_t n = content_->ReadAt(at - prefix_.size(), buf + done, want);
        done += n;
        if (n < want) return done;  // the content failed: a short read
      } else if (at < content_end + suffix_.size()) {
        size_t n = std::min<size_t>(cap - done, content_end + suffix_.size() - at);
        std::memcpy(buf + done, suffix_.data() + (at - content_end), n);
        done += n;
      } else {
        break;
      }
    }
    return done;
  }

 private:
  const std::string prefix_;
  const std::shared_ptr<BodySource> content_;
  const std::string suffix_;
};

std::string RandomBoundaryToken() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 24; ++i) out += kHex[rng() & 15];
  return out;
}

std::string SafeFileName(const std::string& name) {
  std::string out = name.empty() ? "attachment" : name;
  for (char& c : out)
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = '_';
  return out;
}

std::string IdText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

Result<AttachmentInfo> ParseAttachment(const json& j) {
  if (!j.is_object() || IdText(j.value("id", json())).empty())
    return MakeTestRailError(TestRailErrorKind::kNotTestRail,
                             "TestRail answered get_attachments_for_test with an attachment "
                             "without an id.");
  AttachmentInfo a;
  a.id = IdText(j["id"]);
  a.name = j.value("name", "");
  if (j.contains("size") && j["size"].is_number()) a.size = j["size"].get<int64_t>();
  if (j.contains("created_on") && j["created_on"].is_number_integer())
    a.created_on = j["created_on"].get<int64_t>();
  for (const char* key : {"test_change_id", "entity_id", "result_id"}) {
    if (j.contains(key) && j[key].is_number_integer()) {
      a.result_id = j[key].get<int64_t>();
      break;
    }
  }
  return a;
}

}  // namespace

std::shared_ptr<BodySource> MultipartAttachmentBody(const AttachmentUpload& file,
                                                    const std::string& boundary,
                                                    std::string* content_type) {
  *content_type = "multipart/form-data; boundary=" + boundary;
  std::string prefix =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"" +
      SafeFileName(file.name) + "\"\r\nContent-Type: " +
      (file.media_type.empty() ? "application/octet-stream" : file.media_type) + "\r\n\r\n";
  std::string suffix = "\r\n--" + boundary + "--\r\n";
  return std::make_shared<MultipartSource>(std::move(prefix), file.content, std::move(suffix));
}

int64_t AcquireBackground(RateBudget& budget, MonotonicClock& clock) {
  constexpr int64_t kPollUs = 20'000;
  int64_t waited = 0;
  while (true) {
    const int64_t now = clock.NowUs();
    const int allowed = budget.Allowed();
    const bool paused = budget.PausedUntilUs() > now;
    if (!paused && (allowed == 0 || budget.InWindow() < allowed)) break;
    int64_t wait = paused ? std::max<int64_t>(kPollUs, budget.PausedUntilUs() - now) : kPollUs;
    clock.SleepUs(wait);
    waited += wait;
  }
  return waited + budget.Acquire();
}

Result<std::vector<AttachmentInfo>> GetAttachmentsForTest(const TestRailClient& client,
                                                          int64_t test_id) {
  std::vector<AttachmentInfo> out;
  NEXUS_RETURN_IF_ERROR(client.ForEachPage("get_attachments_for_test/" + std::to_string(test_id),
                                           "attachments", [&out](const json& items) -> Status {
                                             for (const json& item : items) {
                                               auto a = ParseAttachment(item);
                                               if (!a.ok()) return a.status();
                                               out.push_back(std::move(a).value());
                                             }
                                             return Status::Ok();
                                           }));
  return out;
}

Result<std::unique_ptr<AttachmentUploader>> AttachmentUploader::Create(const TestRailConfig& config,
                                                                       UploadTransport& transport,
                                                                       RateBudgets& budgets,
                                                                       obs::Metrics* metrics) {
  NEXUS_ASSIGN_OR_RETURN(std::string base, NormalizeBaseUrl(config.base_url));
  if (config.user.empty() || config.user.find(':') != std::string::npos)
    return InvalidArgument("Enter the TestRail user (email).", "user", "invalid_user");
  if (config.api_key.empty())
    return InvalidArgument("Enter the TestRail API key.", "api_key", "invalid_api_key");
  std::shared_ptr<RateBudget> budget = budgets.ForInstance(base, BudgetOptionsOf(config.options));
  return std::unique_ptr<AttachmentUploader>(new AttachmentUploader(
      std::move(base), config, transport, std::move(budget), budgets.clock(), metrics));
}

AttachmentUploader::AttachmentUploader(std::string base_url, const TestRailConfig& config,
                                       UploadTransport& transport,
                                       std::shared_ptr<RateBudget> budget, MonotonicClock& clock,
                                       obs::Metrics* metrics)
    : base_url_(std::move(base_url)),
      host_(HostOfBaseUrl(base_url_)),
      auth_header_("Basic " + Base64(config.user + ":" + config.api_key)),
      options_(config.options),
      transport_(transport),
      budget_(std::move(budget)),
      clock_(clock),
      metrics_(metrics) {}

Result<std::string> AttachmentUploader::AddAttachmentToResult(int64_t result_id,
                                                              const AttachmentUpload& file) const {
  if (file.content == nullptr)
    return InvalidArgument("The attachment has no content.", "attachment");
  HttpRequest req;
  req.method = "POST";
  req.url = base_url_ + "/index.php?/api/v2/" + kMethod + "/" + std::to_string(result_id);
  std::string content_type;
  // The boundary's random part makes a collision with binary content a 1-in-2^96 accident.
  std::shared_ptr<BodySource> body =
      MultipartAttachmentBody(file, "nexus-" + RandomBoundaryToken(), &content_type);
  req.headers = {{"Authorization", auth_header_},
                 {"Accept", "application/json"},
                 {"Content-Type", content_type}};
  req.connect_timeout_ms = options_.connect_timeout_ms;
  req.timeout_ms = options_.request_timeout_ms;
  req.allow_private = options_.allow_private;
  req.allow_insecure_http = options_.allow_insecure_http;
  req.ca_bundle = options_.ca_bundle;
  req.insecure = options_.insecure;

  const RetryOptions& retry = options_.retry;
  const int64_t start_us = clock_.NowUs();
  int attempts = 0;
  int limited_attempts = 0;
  while (true) {
    AcquireBackground(*budget_, clock_);
    const int64_t t0 = clock_.NowUs();
    TransportOutcome outcome = transport_.Upload(req, *body);
    const double seconds = static_cast<double>(clock_.NowUs() - t0) / 1e6;
    Status st;
    bool sent = true;
    std::string label;
    if (!outcome.ok()) {
      st = StatusFromTransportError(outcome.error, host_, options_.request_timeout_ms);
      sent = outcome.error.request_sent;
      label = st.reason();
    } else {
      const HttpResponse& resp = *outcome.response;
      label = std::to_string(resp.status);
      if (metrics_ != nullptr) {
        metrics_->Inc(kRequestsTotal, {{"method", kMethod}, {"status", label}});
        metrics_->Observe(kRequestSeconds, {{"method", kMethod}}, seconds);
      }
      if (resp.status >= 200 && resp.status < 300) {
        json j = json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
        std::string id =
            j.is_object() && j.contains("attachment_id") ? IdText(j["attachment_id"]) : "";
        if (!id.empty()) {
          budget_->OnSuccess();
          return id;
        }
        // Success without the expected answer: most likely applied.
        return AmbiguousWrite(StatusFromHttpResponse(resp, host_, kMethod, /*not_json=*/true));
      }
      st = StatusFromHttpResponse(resp, host_, kMethod);
      std::optional<double> retry_after;
      if (auto h = resp.Header("retry-after")) retry_after = ParseRetryAfterSeconds(*h);
      if (resp.status == 429)
        budget_->OnRateLimited(retry_after, ParseRateLimitPerMinute(resp.body));
      if (resp.status == 409) budget_->OnMaintenance(retry_after);
    }
    if (!outcome.ok() && metrics_ != nullptr) {
      metrics_->Inc(kRequestsTotal, {{"method", kMethod}, {"status", label}});
      metrics_->Observe(kRequestSeconds, {{"method", kMethod}}, seconds);
    }
    std::optional<TestRailError> err = ErrorOf(st);
    RetryAction action =
        err.has_value() ? DecideRetry(/*is_write=*/true, err->kind, sent) : RetryAction::kReturn;
    if (action == RetryAction::kReturnAmbiguous) {
      spdlog::warn("TestRail POST {} failed ambiguously ({}); not retried", kMethod, st.reason());
      return AmbiguousWrite(st);
    }
    if (action == RetryAction::kReturn) return st;
    const bool limited = err->kind == TestRailErrorKind::kRateLimited ||
                         err->kind == TestRailErrorKind::kMaintenance;
    int64_t backoff_ms = 0;
    if (limited) {
      if (++limited_attempts >= retry.max_rate_limited_attempts) return st;
    } else {
      if (++attempts >= retry.max_attempts) return st;
      backoff_ms = budget_->BackoffMs(attempts, retry.base_backoff_ms, retry.max_backoff_ms);
    }
    const int64_t elapsed_ms = (clock_.NowUs() - start_us) / 1000;
    const int64_t paused_ms =
        std::max<int64_t>(0, (budget_->PausedUntilUs() - clock_.NowUs()) / 1000);
    if (elapsed_ms + backoff_ms + paused_ms > retry.max_total_ms) return st;
    if (metrics_ != nullptr) metrics_->Inc(kRetriesTotal, {{"reason", st.reason()}});
    spdlog::warn("TestRail POST {} failed ({}), retrying in {} ms", kMethod, st.reason(),
                 limited ? paused_ms : backoff_ms);
    clock_.SleepUs(backoff_ms * 1000);
  }
}

}  // namespace nexus::testrail
