// NormalizeBaseUrl: the table of inputs a user types or pastes (R-CONN-1).
#include "testrail/base_url.h"

#include <gtest/gtest.h>

namespace nexus::testrail {
namespace {

struct Ok {
  const char* in;
  const char* out;
};

TEST(NormalizeBaseUrlTest, AcceptsAndNormalises) {
  const Ok cases[] = {
      {"company.testrail.io", "https://company.testrail.io"},
      {"  company.testrail.io  ", "https://company.testrail.io"},
      {"Company.TestRail.io", "https://company.testrail.io"},
      {"https://company.testrail.io/", "https://company.testrail.io"},
      {"https://company.testrail.io///", "https://company.testrail.io"},
      {"HTTPS://company.testrail.io", "https://company.testrail.io"},
      {"http://testrail.local", "http://testrail.local"},
      {"https://qa.example.com/testrail", "https://qa.example.com/testrail"},
      {"https://qa.example.com/testrail/", "https://qa.example.com/testrail"},
      {"https://qa.example.com/TestRail/index.php?/dashboard", "https://qa.example.com/TestRail"},
      {"https://company.testrail.io/index.php?/dashboard", "https://company.testrail.io"},
      {"https://company.testrail.io/index.php?/runs/view/12&group_by=x",
       "https://company.testrail.io"},
      {"https://company.testrail.io/index.php", "https://company.testrail.io"},
      {"https://company.testrail.io?x=1", "https://company.testrail.io"},
      {"https://company.testrail.io#top", "https://company.testrail.io"},
      {"https://company.testrail.io:443", "https://company.testrail.io"},
      {"http://company.testrail.io:80/", "http://company.testrail.io"},
      {"https://company.testrail.io:8443/tr", "https://company.testrail.io:8443/tr"},
      {"localhost:8080", "https://localhost:8080"},
      {"http://127.0.0.1:4000", "http://127.0.0.1:4000"},
      {"http://[::1]:4000/", "http://[::1]:4000"},
      {"https://company.testrail.io./", "https://company.testrail.io"},
  };
  for (const Ok& c : cases) {
    Result<std::string> r = NormalizeBaseUrl(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status().message();
    EXPECT_EQ(*r, c.out) << c.in;
  }
}

struct Bad {
  const char* in;
  const char* message_part;
};

TEST(NormalizeBaseUrlTest, RejectsWithSpecificMessages) {
  const Bad cases[] = {
      {"", "Enter the TestRail URL"},
      {"   ", "Enter the TestRail URL"},
      {"https://company testrail.io", "spaces"},
      {"https://company.testrail.io/a b", "spaces"},
      {"https://comp\x01"
       "any.io",
       "control characters"},
      {"ftp://company.testrail.io", "Unsupported URL scheme 'ftp'"},
      {"javascript://x", "Unsupported URL scheme"},
      {"file:///etc/passwd", "Unsupported URL scheme"},
      {"https://user:pw@company.testrail.io", "must not contain a user name or password"},
      {"https://user@company.testrail.io", "must not contain a user name or password"},
      {"https://", "no host name"},
      {"https:///path", "no host name"},
      {"https://:8080", "no host name"},
      {"https://company.testrail.io:0", "Invalid port '0'"},
      {"https://company.testrail.io:65536", "Invalid port '65536'"},
      {"https://company.testrail.io:abc", "Invalid port 'abc'"},
      {"https://company.testrail.io:", "Invalid port ''"},
      {"https://comp!any.io", "Invalid host name"},
      {"https://a..b", "Invalid host name"},
      {"http://[::1", "missing ']'"},
      {"http://[zz::1]/", "Invalid IPv6 address"},
  };
  for (const Bad& c : cases) {
    Result<std::string> r = NormalizeBaseUrl(c.in);
    ASSERT_FALSE(r.ok()) << c.in << " -> " << (r.ok() ? *r : "");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.in;
    EXPECT_EQ(r.status().field(), "url") << c.in;
    EXPECT_EQ(r.status().reason(), "invalid_url") << c.in;
    EXPECT_NE(r.status().message().find(c.message_part), std::string::npos)
        << c.in << ": " << r.status().message();
  }
}

TEST(NormalizeBaseUrlTest, HostOfBaseUrl) {
  EXPECT_EQ(HostOfBaseUrl("https://a.testrail.io/x"), "a.testrail.io");
  EXPECT_EQ(HostOfBaseUrl("http://127.0.0.1:99"), "127.0.0.1");
  EXPECT_EQ(HostOfBaseUrl("http://[::1]:99/p"), "::1");
}

}  // namespace
}  // namespace nexus::testrail
