// JUnitParser / JUnitDocumentReader (R-IMPORT): every JUnit flavour of fixtures/ (written by
// us in the shape each tool writes), chunking, gzip, limits and every refusal with its line.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "imports/junit_parser.h"
#include "imports/junit_reader.h"

namespace nexus::imports {
namespace {

std::string Fixture(const std::string& name) {
  const char* src = std::getenv("NEXUS_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/tests/imports/fixtures/";
  std::ifstream in(dir + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << "missing fixture " << dir + name;
  return ss.str();
}

struct Parsed {
  Status status;
  std::vector<JUnitCase> cases;
  std::map<JUnitOutcome, int> counts;
  const JUnitCase* Find(const std::string& name) const {
    for (const auto& c : cases)
      if (c.name == name) return &c;
    return nullptr;
  }
};

// Parses `xml` fed in chunks of `chunk` bytes (0: all at once).
Parsed Parse(const std::string& xml, size_t chunk = 0, JUnitParserOptions options = {}) {
  Parsed p;
  JUnitParser parser(
      [&](JUnitCase&& c) {
        p.counts[c.outcome]++;
        p.cases.push_back(std::move(c));
        return Status::Ok();
      },
      options);
  if (chunk == 0) {
    p.status = parser.Feed(xml);
  } else {
    for (size_t i = 0; i < xml.size() && p.status.ok(); i += chunk)
      p.status = parser.Feed(std::string_view(xml).substr(i, chunk));
  }
  if (p.status.ok()) p.status = parser.Finish();
  return p;
}

std::vector<int64_t> Ids(const JUnitCase* c) {
  if (c == nullptr) return {999999};
  auto ids = CaseIdsOf(*c);
  EXPECT_TRUE(ids.ok()) << ids.status().ToString();
  return ids.ok() ? *ids : std::vector<int64_t>{};
}

struct Expected {
  const char* file;
  int passed, failed, errors, skipped;
};

class FlavourTest : public ::testing::TestWithParam<Expected> {};

TEST_P(FlavourTest, CountsEachOutcome) {
  const Expected& e = GetParam();
  std::string xml = Fixture(e.file);
  for (size_t chunk : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}}) {
    Parsed p = Parse(xml, chunk);
    ASSERT_TRUE(p.status.ok()) << e.file << ": " << p.status.ToString();
    EXPECT_EQ(p.counts[JUnitOutcome::kPassed], e.passed) << e.file << " chunk " << chunk;
    EXPECT_EQ(p.counts[JUnitOutcome::kFailed], e.failed) << e.file;
    EXPECT_EQ(p.counts[JUnitOutcome::kError], e.errors) << e.file;
    EXPECT_EQ(p.counts[JUnitOutcome::kSkipped], e.skipped) << e.file;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Junit, FlavourTest,
    ::testing::Values(Expected{"surefire.xml", 2, 1, 1, 1}, Expected{"gradle.xml", 1, 1, 0, 1},
                      Expected{"pytest.xml", 2, 1, 1, 1}, Expected{"jest.xml", 2, 1, 0, 1},
                      Expected{"playwright.xml", 2, 1, 0, 1}, Expected{"mocha.xml", 2, 1, 0, 0},
                      Expected{"go.xml", 2, 1, 0, 1}),
    [](const auto& info) {
      std::string n = info.param.file;
      return n.substr(0, n.find('.'));
    });

TEST(JUnitParserTest, SurefireDetails) {
  Parsed p = Parse(Fixture("surefire.xml"));
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  const JUnitCase* failed = p.Find("removesItem");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->classname, "com.shop.CartTest");
  EXPECT_EQ(failed->suite, "com.shop.CartTest");
  EXPECT_EQ(failed->type, "org.opentest4j.AssertionFailedError");
  EXPECT_EQ(failed->message, "expected: <0> but was: <1>");
  EXPECT_NE(failed->details.find("CartTest.java:41"), std::string::npos);
  EXPECT_EQ(failed->system_out, "removing item 42\n");
  ASSERT_TRUE(failed->time_s.has_value());
  EXPECT_DOUBLE_EQ(*failed->time_s, 0.003);
  const JUnitCase* error = p.Find("totalsWithTax");
  ASSERT_NE(error, nullptr);
  EXPECT_DOUBLE_EQ(error->time_s.value_or(-1), 1204.5);  // "1,204.5": grouping commas
  // <flakyFailure> of a test that passed on rerun is not an outcome.
  const JUnitCase* flaky = p.Find("retriesPayment");
  ASSERT_NE(flaky, nullptr);
  EXPECT_EQ(flaky->outcome, JUnitOutcome::kPassed);
  EXPECT_EQ(flaky->system_out, "");
  EXPECT_EQ(Ids(p.Find("addsItem_C1")), std::vector<int64_t>{1});
  EXPECT_EQ(p.cases.front().line, 8);
}

TEST(JUnitParserTest, CaseIdsOfEveryFlavour) {
  EXPECT_EQ(Ids(Parse(Fixture("gradle.xml")).Find("paysByCard() C2")), std::vector<int64_t>{2});
  Parsed py = Parse(Fixture("pytest.xml"));
  EXPECT_EQ(Ids(py.Find("test_login_ok")), (std::vector<int64_t>{3, 4}));  // "C3, C4"
  EXPECT_EQ(Ids(py.Find("test_profile[de-DE]")), std::vector<int64_t>{});
  EXPECT_EQ(py.Find("test_login_ok")->timestamp.value_or(""), "2026-11-30T10:01:12.345678+00:00");
  EXPECT_EQ(Ids(Parse(Fixture("jest.xml")).Find("Cart adds an item C5")), std::vector<int64_t>{5});
  Parsed pw = Parse(Fixture("playwright.xml"));
  EXPECT_EQ(Ids(pw.Find("login › shows the form @C6")), std::vector<int64_t>{6});
  EXPECT_EQ(Ids(pw.Find("login › rejects a wrong password")), std::vector<int64_t>{7});
  EXPECT_EQ(pw.Find("cart › checks out")->suite, "cart.spec.ts");
  EXPECT_EQ(Ids(Parse(Fixture("mocha.xml")).Find("Login C8 logs in with a valid user")),
            std::vector<int64_t>{8});
  EXPECT_EQ(Ids(Parse(Fixture("go.xml")).Find("TestRemove/C9_last_item")), std::vector<int64_t>{9});
}

TEST(JUnitParserTest, CaseIdsStandAlone) {
  auto ids = [](const std::string& name, const std::string& prop = "") {
    JUnitCase c;
    c.name = name;
    if (!prop.empty()) c.properties.push_back({"testrail_case_id", prop});
    auto r = CaseIdsOf(c);
    return r.ok() ? *r : std::vector<int64_t>{-1};
  };
  EXPECT_EQ(ids("C12 checkout"), std::vector<int64_t>{12});
  EXPECT_EQ(ids("checkout [C12] and (C13)"), (std::vector<int64_t>{12, 13}));
  EXPECT_EQ(ids("C3PO walks"), std::vector<int64_t>{});
  EXPECT_EQ(ids("ABC12"), std::vector<int64_t>{});
  EXPECT_EQ(ids("c12 lower case is not an id"), std::vector<int64_t>{});
  EXPECT_EQ(ids("C0"), std::vector<int64_t>{});
  EXPECT_EQ(ids("x", "12 C13,c14"), (std::vector<int64_t>{12, 13, 14}));
  EXPECT_EQ(ids("C12", "12"), std::vector<int64_t>{12});
  JUnitCase bad;
  bad.name = "pays";
  bad.line = 9;
  bad.properties.push_back({"testrail_case_id", "C12, twelve"});
  auto r = CaseIdsOf(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.status().message(),
      "line 9: testcase \"pays\": testrail_case_id \"twelve\" is not a case id (C123 or 123)");
}

TEST(JUnitParserTest, NestedSuitesAndUnknownElements) {
  Parsed p = Parse(
      "<testsuites><testsuite name='outer'><testsuite name='inner'>"
      "<testcase name='a'><custom><failure/></custom></testcase></testsuite>"
      "<testcase name='b'><error message='boom'/><failure message='f'/></testcase>"
      "</testsuite></testsuites>");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.cases.size(), 2u);
  EXPECT_EQ(p.cases[0].suite, "inner");
  EXPECT_EQ(p.cases[0].outcome, JUnitOutcome::kPassed);  // <failure> inside an unknown element
  EXPECT_EQ(p.cases[1].suite, "outer");
  EXPECT_EQ(p.cases[1].outcome, JUnitOutcome::kError);  // error wins over a later failure
  EXPECT_EQ(p.cases[1].message, "boom");
}

TEST(JUnitParserTest, TextsAreCapped) {
  JUnitParserOptions o;
  o.max_text_bytes = 10;
  std::string big(1000, 'x');
  Parsed p = Parse("<testsuite><testcase name='a'><system-out>" + big +
                       "</system-out><failure>\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                       "</failure></testcase></testsuite>",
                   3, o);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.cases[0].system_out, std::string(10, 'x'));
  EXPECT_EQ(p.cases[0].details, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");  // cut on UTF-8
  EXPECT_TRUE(p.cases[0].truncated);
}

TEST(JUnitParserTest, RefusalsNameTheLine) {
  struct Bad {
    std::string xml;
    std::string message;
  };
  const Bad cases[] = {
      {"<testsuite>\n<testcase name='a'>\n</testsuite>", "line 3: malformed XML (mismatched tag)"},
      {"<html><body/></html>",
       "line 1: not a JUnit report: the root element is <html>, expected <testsuites> or "
       "<testsuite>"},
      {"<testsuite>\n\n<testcase classname='x'/></testsuite>", "line 3: <testcase> without a name"},
      {"<testsuite><testcase name='  '/></testsuite>", "line 1: <testcase> without a name"},
      {"<testsuite>\n<testcase name='a' time='fast'/></testsuite>",
       "line 2: time \"fast\" is not a non-negative number of seconds"},
      {"<testsuite><testcase name='a' time='-1'/></testsuite>",
       "line 1: time \"-1\" is not a non-negative number of seconds"},
      {"<?xml version='1.0'?>\n<!DOCTYPE lolz [<!ENTITY lol 'lol'>]>\n<testsuite/>",
       "line 2: a DOCTYPE is not allowed in a JUnit report"},
      {"", "line 1: malformed XML (no element found)"},
      {"<testsuite>", "line 1: malformed XML (no element found)"},
  };
  for (const auto& b : cases) {
    Parsed p = Parse(b.xml);
    ASSERT_FALSE(p.status.ok()) << b.xml;
    EXPECT_EQ(p.status.message(), b.message) << b.xml;
    EXPECT_EQ(p.status.reason(), "invalid_junit");
  }
}

TEST(JUnitParserTest, CallbackErrorStopsTheParse) {
  int seen = 0;
  JUnitParser parser([&](JUnitCase&&) {
    ++seen;
    return InvalidArgument("enough");
  });
  Status st = parser.Feed("<testsuite><testcase name='a'/><testcase name='b'/></testsuite>");
  EXPECT_EQ(st.message(), "enough");
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(parser.Finish().message(), "enough");
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct ReadResult {
  Status status;
  std::string sha;
  int64_t cases = 0;
};

ReadResult Read(const std::string& body, size_t chunk, JUnitReaderOptions o = {}) {
  ReadResult r;
  JUnitDocumentReader reader(
      [&](JUnitCase&&) {
        ++r.cases;
        return Status::Ok();
      },
      o);
  for (size_t i = 0; i < body.size() && r.status.ok(); i += chunk)
    r.status = reader.Feed(std::string_view(body).substr(i, chunk));
  if (!r.status.ok()) return r;
  auto sha = reader.Finish();
  if (!sha.ok()) {
    r.status = sha.status();
    return r;
  }
  r.sha = *sha;
  return r;
}

TEST(JUnitReaderTest, GzipAndPlainAreTheSameReport) {
  std::string xml = Fixture("pytest.xml");
  ReadResult plain = Read(xml, 1 << 20);
  ReadResult gz = Read(Gzip(xml), 1);
  ReadResult gz2 = Read(Gzip(xml), 5000);
  ASSERT_TRUE(plain.status.ok() && gz.status.ok() && gz2.status.ok()) << gz.status.ToString();
  EXPECT_EQ(plain.cases, 5);
  EXPECT_EQ(gz.cases, 5);
  EXPECT_EQ(plain.sha, gz.sha);
  EXPECT_EQ(plain.sha, gz2.sha);
  EXPECT_EQ(plain.sha.size(), 64u);
  EXPECT_NE(Read(xml + " ", 100).sha, plain.sha);
}

TEST(JUnitReaderTest, RefusesCorruptGzipAndBombs) {
  std::string gz = Gzip(Fixture("pytest.xml"));
  std::string corrupt = gz;
  corrupt[20] ^= 0x55;
  corrupt[21] ^= 0x55;
  ReadResult r = Read(corrupt, 64);
  ASSERT_FALSE(r.status.ok());
  EXPECT_TRUE(r.status.reason() == "invalid_gzip" || r.status.reason() == "invalid_junit")
      << r.status.ToString();
  ReadResult cut = Read(gz.substr(0, gz.size() / 2), 64);
  ASSERT_FALSE(cut.status.ok());
  // 24 MB of one letter compress to ~24 KB; the limit stops the reader early.
  std::string bomb = "<testsuite><testcase name='a'><system-out>" + std::string(24 << 20, 'x') +
                     "</system-out></testcase></testsuite>";
  JUnitReaderOptions o;
  o.max_xml_bytes = 1 << 20;
  ReadResult b = Read(Gzip(bomb), 1 << 16, o);
  ASSERT_FALSE(b.status.ok());
  EXPECT_EQ(b.status.reason(), "too_large");
}

}  // namespace
}  // namespace nexus::imports
