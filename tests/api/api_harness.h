// Test harness: a real Nexus server (App) on 127.0.0.1:0 with a SQLite database in a
// temporary directory, plus an HTTP client and helpers to create users with each role.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "app/app.h"

namespace nexus::testing {

using Json = nlohmann::json;

struct HttpResult {
  int status = 0;
  Json body;
  std::string raw;
  httplib::Headers headers;
  // Error code of the envelope ("" when not an error body).
  std::string code() const {
    return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
  }
  std::string field() const {
    return body.is_object() && body.contains("error") ? body["error"].value("field", "") : "";
  }
  std::string message() const {
    return body.is_object() && body.contains("error") ? body["error"].value("message", "") : "";
  }
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nexus-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ApiHarness {
 public:
  // `configure` may adjust the configuration (TestRail options, timeouts…) before start.
  explicit ApiHarness(const std::function<void(app::Config&)>& configure = {}) {
    app::Config config;
    config.listen = "127.0.0.1:0";
    config.data_dir = dir_.path();
    config.kdf = auth::KdfStrength::kMinimum;
    if (configure) configure(config);
    auto app = app::App::Start(config);
    if (!app.ok()) throw std::runtime_error("App::Start: " + app.status().ToString());
    app_ = std::move(app).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", app_->port());
    client_->set_read_timeout(30, 0);
  }

  app::App& app() { return *app_; }
  Store& store() { return app_->store(); }
  int port() const { return app_->port(); }
  const std::string& data_dir() const { return dir_.path(); }

  // Creates a user directly and returns an API token for them.
  std::string CreateUserToken(const std::string& email, bool org_admin = false,
                              int64_t* user_id = nullptr) {
    auto u = app_->auth().CreateUser(email, "User " + email, "password-123", org_admin);
    if (!u.ok()) throw std::runtime_error("CreateUser: " + u.status().ToString());
    if (user_id) *user_id = u->id;
    auto t = app_->auth().CreateToken(u->id, "test");
    if (!t.ok()) throw std::runtime_error("CreateToken: " + t.status().ToString());
    return t->secret;
  }

  HttpResult Call(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& body = "", httplib::Headers extra = {}) {
    httplib::Headers h = extra;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    httplib::Result r{nullptr, httplib::Error::Unknown};
    std::string content_type = "application/json";  // unless `extra` names one
    if (auto it = h.find("Content-Type"); it != h.end()) {
      content_type = it->second;
      h.erase(it);
    }
    const char* ct = content_type.c_str();
    if (method == "GET")
      r = client_->Get(path, h);
    else if (method == "POST")
      r = client_->Post(path, h, body, ct);
    else if (method == "PUT")
      r = client_->Put(path, h, body, ct);
    else if (method == "PATCH")
      r = client_->Patch(path, h, body, ct);
    else if (method == "DELETE")
      r = client_->Delete(path, h, body, ct);
    HttpResult out;
    if (!r) {
      out.status = -1;
      return out;
    }
    out.status = r->status;
    out.raw = r->body;
    out.headers = r->headers;
    out.body = Json::parse(r->body, nullptr, false);
    return out;
  }

  HttpResult Get(const std::string& path, const std::string& token) {
    return Call("GET", path, token);
  }
  HttpResult Post(const std::string& path, const std::string& token, const Json& body) {
    return Call("POST", path, token, body.dump());
  }
  HttpResult Put(const std::string& path, const std::string& token, const Json& body) {
    return Call("PUT", path, token, body.dump());
  }
  HttpResult Patch(const std::string& path, const std::string& token, const Json& body) {
    return Call("PATCH", path, token, body.dump());
  }
  HttpResult Delete(const std::string& path, const std::string& token) {
    return Call("DELETE", path, token);
  }

 private:
  TempDir dir_;
  std::unique_ptr<app::App> app_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace nexus::testing
