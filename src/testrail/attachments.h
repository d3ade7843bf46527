// TestRail attachments (issue 17): streaming multipart uploads to add_attachment_to_result
// and the listing used to reconcile them. Kept beside TestRailClient (not in it) so the
// client's widely included header stays as it is; it follows the same rules: the instance's
// shared RateBudget, retry_policy.h, errors.h reasons, the SSRF guard of the transport, the
// API key only in the Authorization header.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "obs/metrics.h"
#include "testrail/client.h"
#include "testrail/http_transport.h"
#include "testrail/rate_budget.h"

namespace nexus::testrail {

// A request body produced piece by piece, so an upload (an artifact of up to 256 MB) is never
// held whole in memory. Random access lets a retried request read it again from the start.
// Used by one transfer at a time.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual uint64_t size() const = 0;
  // Up to `cap` bytes from `offset` into `buf`; how many were read. Fewer than asked before
  // size() means the source failed (the transfer is then aborted).
  virtual size_t ReadAt(uint64_t offset, char* buf, size_t cap) = 0;
};

// Sends one request whose body is streamed from a BodySource (Content-Length = its size;
// `request.body` is ignored). Same contract as HttpTransport::Send otherwise.
class UploadTransport {
 public:
  virtual ~UploadTransport() = default;
  virtual TransportOutcome Upload(const HttpRequest& request, BodySource& body) = 0;
};

// libcurl implementation (curl_transport.cc: the same options, SSRF guard and error mapping
// as CurlTransport; a fresh handle and connection per upload). Thread-safe.
class CurlUploadTransport : public UploadTransport {
 public:
  explicit CurlUploadTransport(std::string user_agent = "Nexus-TestRail-Client/1.0");
  TransportOutcome Upload(const HttpRequest& request, BodySource& body) override;

 private:
  const std::string user_agent_;
};

// One attachment as get_attachments_for_test lists it. `id` is text: TestRail Server answers
// numbers, Cloud 7.1+ strings (uuids).
struct AttachmentInfo {
  std::string id;
  std::string name;
  int64_t size = 0;
  int64_t created_on = 0;
  std::optional<int64_t> result_id;  // `test_change_id` / `entity_id` of a result attachment
};

// A file to attach: the name TestRail shows, its media type and its bytes as a stream.
struct AttachmentUpload {
  std::string name;
  std::string media_type;
  std::shared_ptr<BodySource> content;
};

// The multipart/form-data body add_attachment_* expect: one part, field `attachment`, with
// the file's name (`"`, `\`, CR and LF replaced by '_' so it cannot break the part header)
// and media type. *content_type receives the header value with the boundary.
std::shared_ptr<BodySource> MultipartAttachmentBody(const AttachmentUpload& file,
                                                    const std::string& boundary,
                                                    std::string* content_type);

// RateBudget::Acquire at background priority: waits while the instance is paused or the
// window holds no free place now (callers waiting in Acquire() have reserved theirs, so they
// fill it), then acquires. Result writes of every export therefore go first; uploads fill the
// gaps. Best effort: a foreground caller arriving between the check and the acquire can still
// be queued behind one upload. Returns the microseconds waited.
int64_t AcquireBackground(RateBudget& budget, MonotonicClock& clock);

// get_attachments_for_test/{test_id} through `client` (plain array of older servers or the
// paginated `attachments` envelope).
Result<std::vector<AttachmentInfo>> GetAttachmentsForTest(const TestRailClient& client,
                                                          int64_t test_id);

class AttachmentUploader {
 public:
  // `config` as for TestRailClient::Create (same validation); draws from the budget
  // `budgets` keeps for the instance, shared with its TestRailClient. References must
  // outlive the uploader; `metrics` may be null.
  static Result<std::unique_ptr<AttachmentUploader>> Create(const TestRailConfig& config,
                                                            UploadTransport& transport,
                                                            RateBudgets& budgets,
                                                            obs::Metrics* metrics);

  // add_attachment_to_result/{result_id}: streams `file` as multipart/form-data at
  // background priority. 429/409 and never-sent failures are retried (the body is read again
  // from the start); a 5xx, timeout or reset after sending, or a 2xx that does not read as
  // {"attachment_id": …}, is "ambiguous_write" (the caller reconciles with
  // GetAttachmentsForTest, name + size). A 413 (over 256 MB or a proxy's limit) is "rejected"
  // with ErrorOf(status)->refusal == Refusal::kPayloadTooLarge; a 400 (unknown result, a
  // refused file type) is "rejected". Returns the attachment id as text.
  Result<std::string> AddAttachmentToResult(int64_t result_id, const AttachmentUpload& file) const;

 private:
  AttachmentUploader(std::string base_url, const TestRailConfig& config, UploadTransport& transport,
                     std::shared_ptr<RateBudget> budget, MonotonicClock& clock,
                     obs::Metrics* metrics);

  const std::string base_url_;
  const std::string host_;
  const std::string auth_header_;  // secret, never logged
  const TestRailClientOptions options_;
  UploadTransport& transport_;
  const std::shared_ptr<RateBudget> budget_;
  MonotonicClock& clock_;
  obs::Metrics* const metrics_;
};

}  // namespace nexus::testrail
