// Attachment methods of the model (issue 17): add_attachment_to_result, add_attachment_to_run,
// get_attachments_for_test, get_attachments_for_run, get_attachment, delete_attachment.
// Shapes follow shared/spec/testrail-api.md ("Attachments"): uploads answer
// {"attachment_id": N}; lists are TestRail 7.x's paginated envelope under `attachments`.
// Bytes are files in a private temporary directory, never held by the model.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "model.h"
#include "model_internal.h"

namespace testrail_sim {

using namespace internal;  // NOLINT(build/namespaces): the model's method files share helpers

namespace {

constexpr char kInvalidAttachment[] = "Field :attachment_id is not a valid attachment.";

bool IsImageType(const std::string& media_type) { return media_type.rfind("image/", 0) == 0; }

std::string Extension(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? "" : name.substr(dot + 1);
}

}  // namespace

Model::~Model() {
  if (attachment_dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(attachment_dir_, ec);
}

Json Model::AttachmentJson(const Attachment& a) const {
  Json j{{"id", a.id},
         {"name", a.name},
         {"filename", std::to_string(a.id) + "." + a.name},
         {"size", a.size},
         {"created_on", a.created_on},
         {"project_id", a.project_id},
         {"user_id", a.user_id},
         {"filetype", Extension(a.name)},
         {"is_image", IsImageType(a.media_type)}};
  if (a.result_id != 0) {
    auto t = tests_.find(a.test_id);
    j["entity_type"] = "test_change";
    j["entity_id"] = a.result_id;
    j["test_change_id"] = a.result_id;
    j["case_id"] = t == tests_.end() ? Json(nullptr) : Json(t->second.case_id);
  } else {
    j["entity_type"] = "run";
    j["entity_id"] = a.run_id;
  }
  if (string_attachment_ids_) j["id"] = std::to_string(a.id);
  return j;
}

ApiResponse Model::StoreAttachmentLocked(const ApiCall& c, Attachment a) {
  if (!c.has_attachment) return Error(400, Required("attachment"));
  if (attachment_dir_.empty()) {
    std::error_code ec;
    std::string tmpl =
        (std::filesystem::temp_directory_path(ec) / "testrail-sim-attachments-XXXXXX").string();
    if (ec || mkdtemp(tmpl.data()) == nullptr)
      return Error(500, "Attachment storage is not available.");
    attachment_dir_ = tmpl;
  }
  a.id = next_attachment_id_;
  a.path = attachment_dir_ + "/" + std::to_string(a.id);
  {
    std::ofstream out(a.path, std::ios::binary | std::ios::trunc);
    if (c.attachment_data != nullptr)
      out.write(c.attachment_data->data(), static_cast<std::streamsize>(c.attachment_data->size()));
    if (!out) {
      std::remove(a.path.c_str());
      return Error(500, "Attachment storage is not available.");
    }
  }
  ++next_attachment_id_;
  a.name = c.attachment_name;
  a.media_type = c.attachment_type.empty() ? "application/octet-stream" : c.attachment_type;
  a.size = c.attachment_data != nullptr ? c.attachment_data->size() : c.attachment_size;
  a.user_id = c.user_id;
  a.created_on = Now();
  int64_t id = a.id;
  attachments_[id] = std::move(a);
  if (string_attachment_ids_) return Ok(Json{{"attachment_id", std::to_string(id)}});
  return Ok(Json{{"attachment_id", id}});
}

ApiResponse Model::AddAttachmentToResult(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "result_id", &id, &err)) return err;
  auto it = results_.find(id);
  if (it == results_.end()) return Error(400, kInvalidResult);
  Attachment a;
  a.result_id = id;
  a.run_id = it->second.run_id;
  a.test_id = it->second.test_id;
  auto run = runs_.find(a.run_id);
  a.project_id = run == runs_.end() ? 0 : run->second.project_id;
  ApiResponse out = StoreAttachmentLocked(c, std::move(a));
  if (out.status == 200) it->second.attachment_ids.push_back(next_attachment_id_ - 1);
  return out;
}

ApiResponse Model::AddAttachmentToRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  auto it = runs_.find(id);
  if (it == runs_.end()) return Error(400, kInvalidRun);
  Attachment a;
  a.run_id = id;
  a.project_id = it->second.project_id;
  return StoreAttachmentLocked(c, std::move(a));
}

ApiResponse Model::GetAttachmentsForTest(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "test_id", &id, &err)) return err;
  if (!tests_.count(id)) return Error(400, kInvalidTest);
  std::vector<const Attachment*> matches;
  for (const auto& [aid, a] : attachments_)
    if (a.result_id != 0 && a.test_id == id) matches.push_back(&a);
  return Paginate(c, "attachments", [&](size_t offset, size_t limit, size_t* total) {
    *total = matches.size();
    std::vector<Json> out;
    for (size_t i = offset; i < matches.size() && out.size() < limit; ++i)
      out.push_back(AttachmentJson(*matches[i]));
    return out;
  });
}

ApiResponse Model::GetAttachmentsForRun(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "run_id", &id, &err)) return err;
  if (!runs_.count(id)) return Error(400, kInvalidRun);
  std::vector<const Attachment*> matches;
  for (const auto& [aid, a] : attachments_)
    if (a.result_id == 0 && a.run_id == id) matches.push_back(&a);
  return Paginate(c, "attachments", [&](size_t offset, size_t limit, size_t* total) {
    *total = matches.size();
    std::vector<Json> out;
    for (size_t i = offset; i < matches.size() && out.size() < limit; ++i)
      out.push_back(AttachmentJson(*matches[i]));
    return out;
  });
}

ApiResponse Model::GetAttachmentApi(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "attachment_id", &id, &err)) return err;
  auto it = attachments_.find(id);
  if (it == attachments_.end() || it->second.path.empty()) return Error(400, kInvalidAttachment);
  ApiResponse out;
  out.file_path = it->second.path;
  out.file_type = it->second.media_type;
  return out;
}

ApiResponse Model::DeleteAttachment(const ApiCall& c) {
  int64_t id = 0;
  ApiResponse err;
  if (!IdArg(c, 0, "attachment_id", &id, &err)) return err;
  auto it = attachments_.find(id);
  if (it == attachments_.end()) return Error(400, kInvalidAttachment);
  if (!it->second.path.empty()) std::remove(it->second.path.c_str());
  auto res = results_.find(it->second.result_id);
  if (res != results_.end()) std::erase(res->second.attachment_ids, id);
  attachments_.erase(it);
  return EmptyOk();
}

bool Model::AttachmentFile(int64_t id, std::string* path, std::string* media_type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = attachments_.find(id);
  if (it == attachments_.end() || it->second.path.empty()) return false;
  *path = it->second.path;
  *media_type = it->second.media_type;
  return true;
}

size_t Model::AttachmentCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return attachments_.size();
}

}  // namespace testrail_sim
