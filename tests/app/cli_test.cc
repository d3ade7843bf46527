// The `nexus` binary end to end: CLI commands on a data dir, `serve` on port 0 printing
// its URL first and stopping cleanly on SIGTERM, NEXUS_* environment variables.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string NexusBin() {
  const char* dir = std::getenv("NEXUS_BUILD_DIR");
  return std::string(dir ? dir : ".") + "/nexus";
}

struct Proc {
  pid_t pid = -1;
  int out_fd = -1;
  int in_fd = -1;
};

Proc Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  int out[2], in[2];
  if (pipe(out) != 0 || pipe(in) != 0) std::abort();
  Proc p;
  p.pid = fork();
  if (p.pid == 0) {
    dup2(out[1], 1);
    dup2(in[0], 0);
    close(out[0]);
    close(in[1]);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    std::string bin = NexusBin();
    argv.push_back(bin.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  p.out_fd = out[0];
  p.in_fd = in[1];
  return p;
}

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  return line;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
  return s;
}

int WaitExit(pid_t pid, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Runs a command to completion; returns {exit code, stdout}.
std::pair<int, std::string> RunCmd(const std::vector<std::string>& args,
                                   const std::string& input = "",
                                   const std::vector<std::string>& env = {}) {
  Proc p = Spawn(args, env);
  if (!input.empty()) (void)!write(p.in_fd, input.data(), input.size());
  close(p.in_fd);
  std::string out = ReadAll(p.out_fd);
  close(p.out_fd);
  return {WaitExit(p.pid), out};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nexus-cli-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CliTest, MigrateIsIdempotent) {
  auto [rc1, out1] = RunCmd({"migrate", "--data-dir", dir_});
  ASSERT_EQ(rc1, 0);
  EXPECT_TRUE(std::regex_match(out1, std::regex("schema version [0-9]+\n"))) << out1;
  auto [rc2, out2] = RunCmd({"migrate", "--data-dir", dir_});
  EXPECT_EQ(rc2, 0);
  EXPECT_EQ(out1, out2);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/nexus.db"));
}

TEST_F(CliTest, UserTokenProjectCommandsThenServeUsesThem) {
  auto [rc, uid] = RunCmd({"user", "add", "--email", "ops@example.com", "--name", "Ops",
                           "--password-stdin", "--org-admin", "--data-dir", dir_},
                          "s3cret-passphrase\n");
  ASSERT_EQ(rc, 0);
  EXPECT_TRUE(std::regex_match(uid, std::regex("[0-9]+\n"))) << uid;

  auto [dup_rc, dup_out] = RunCmd({"user", "add", "--email", "ops@example.com", "--name", "Ops",
                                   "--password-stdin", "--data-dir", dir_},
                                  "s3cret-passphrase\n");
  EXPECT_EQ(dup_rc, 3) << "duplicate e-mail is a conflict";
  EXPECT_EQ(dup_out, "");

  auto [short_rc, short_out] = RunCmd({"user", "add", "--email", "x@example.com", "--name", "X",
                                       "--password-stdin", "--data-dir", dir_},
                                      "short\n");
  EXPECT_EQ(short_rc, 2) << "password too short is invalid input";

  auto [trc, token] =
      RunCmd({"token", "create", "--email", "ops@example.com", "--name", "ci", "--data-dir", dir_});
  ASSERT_EQ(trc, 0);
  ASSERT_TRUE(std::regex_match(token, std::regex("nxs_[A-Za-z0-9_-]+\n"))) << token;
  token.pop_back();

  auto [prc, pid] = RunCmd({"project", "create", "--name", "Shop", "--admin-email",
                            "ops@example.com", "--feature", "testrail", "--data-dir", dir_});
  ASSERT_EQ(prc, 0);
  ASSERT_TRUE(std::regex_match(pid, std::regex("[0-9]+\n"))) << pid;
  pid.pop_back();

  // serve: port from NEXUS_LISTEN, data dir from NEXUS_DATA_DIR.
  Proc server = Spawn({"serve"}, {"NEXUS_LISTEN=127.0.0.1:0", "NEXUS_DATA_DIR=" + dir_});
  std::string first = ReadLine(server.out_fd);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(first, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)")))
      << first;
  int port = std::stoi(m[1]);
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/api/v1/projects/" + pid, {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("\"testrail\":true"), std::string::npos) << res->body;

  kill(server.pid, SIGTERM);
  EXPECT_EQ(WaitExit(server.pid), 0) << "SIGTERM stops the server cleanly";
  close(server.out_fd);
  close(server.in_fd);
}

TEST_F(CliTest, ServeRejectsBadListenAndBusyPort) {
  auto [rc, out] = RunCmd({"serve", "--listen", "nonsense", "--data-dir", dir_});
  EXPECT_EQ(rc, 2);
  httplib::Server blocker;
  int busy = blocker.bind_to_any_port("127.0.0.1");
  auto [rc2, out2] =
      RunCmd({"serve", "--listen", "127.0.0.1:" + std::to_string(busy), "--data-dir", dir_});
  EXPECT_NE(rc2, 0);
  EXPECT_EQ(out2.find("listening on"), std::string::npos);
}

TEST_F(CliTest, DemoSeedsNexusAndStartsTheSimulator) {
  Proc demo = Spawn({"demo", "--listen", "127.0.0.1:0", "--data-dir", dir_});
  std::string first = ReadLine(demo.out_fd);
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(first, m, std::regex("listening on http://127\\.0\\.0\\.1:([0-9]+)")))
      << first;
  std::string rest;
  for (int i = 0; i < 7; ++i) rest += ReadLine(demo.out_fd) + "\n";
  std::smatch sim;
  ASSERT_TRUE(
      std::regex_search(rest, sim, std::regex("TestRail: +http://127\\.0\\.0\\.1:([0-9]+)")))
      << rest;
  httplib::Client nexus("127.0.0.1", std::stoi(m[1]));
  auto login = nexus.Post("/api/v1/auth/login",
                          R"({"email":"admin@nexus.demo","password":"nexus-demo-password"})",
                          "application/json");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 200) << login->body;
  // The printed TestRail credentials work against the simulator's API.
  httplib::Client tr("127.0.0.1", std::stoi(sim[1]));
  tr.set_basic_auth("admin@example.com", "nexus-sim-demo-api-key-0001");
  auto projects = tr.Get("/index.php?/api/v2/get_projects");
  ASSERT_TRUE(projects);
  EXPECT_EQ(projects->status, 200);
  EXPECT_NE(projects->body.find("\"projects\""), std::string::npos);
  kill(demo.pid, SIGTERM);
  EXPECT_EQ(WaitExit(demo.pid), 0);
  close(demo.out_fd);
  close(demo.in_fd);
}

}  // namespace
