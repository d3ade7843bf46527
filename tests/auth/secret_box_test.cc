// SecretBox and master key loading: round trip, tamper detection, key formats, and the
// key-file rules (created 0600; looser permissions or a wrong length refuse to start).
#include "auth/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nexus::auth {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nexus-sb-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path_;
};

MasterKey Key(unsigned char fill) {
  MasterKey k;
  k.fill(fill);
  return k;
}

TEST(SecretBoxTest, SealOpenRoundTripWithFreshNonces) {
  SodiumSecretBox box(Key(7));
  auto a = box.Seal("my-api-key");
  auto b = box.Seal("my-api-key");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->nonce, b->nonce);
  EXPECT_NE(a->ciphertext, b->ciphertext);
  EXPECT_EQ(a->ciphertext.find("my-api-key"), std::string::npos);
  auto opened = box.Open(*a);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "my-api-key");
}

TEST(SecretBoxTest, TamperedOrForeignCiphertextIsRefused) {
  SodiumSecretBox box(Key(7)), other(Key(8));
  auto sealed = box.Seal("secret");
  ASSERT_TRUE(sealed.ok());
  EXPECT_FALSE(other.Open(*sealed).ok());
  SealedSecret bad = *sealed;
  bad.ciphertext[0] = static_cast<char>(bad.ciphertext[0] ^ 1);
  auto r = box.Open(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot be decrypted"), std::string::npos);
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_EQ(r.status().reason(), "secret_unreadable");
  EXPECT_FALSE(box.Open({"short", "x"}).ok());
}

TEST(SecretBoxTest, ParseMasterKeyAcceptsHexAndBase64) {
  std::string hex(64, 'a');
  auto h = ParseMasterKey(hex);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, Key(0xaa));
  // 32 bytes of 0xaa in base64 (padded, unpadded, URL-safe) and with a trailing newline.
  std::string b64 = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=";
  EXPECT_EQ(*ParseMasterKey(b64), Key(0xaa));
  EXPECT_EQ(*ParseMasterKey(b64.substr(0, b64.size() - 1)), Key(0xaa));
  EXPECT_EQ(*ParseMasterKey(b64 + "\n"), Key(0xaa));
  for (const std::string& bad :
       std::vector<std::string>{"", "short", std::string(62, 'a'), std::string(64, 'g'), "qqqq"}) {
    auto r = ParseMasterKey(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "secret_key");
    if (!bad.empty()) {
      EXPECT_EQ(r.status().message().find(bad), std::string::npos);
    }
  }
}

TEST(SecretBoxTest, ConfiguredKeyWinsOverTheFile) {
  TempDir dir;
  auto k = LoadMasterKey(std::string(64, 'b'), dir.path_);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, Key(0xbb));
  EXPECT_FALSE(std::filesystem::exists(dir.path_ + "/secret.key"));
}

TEST(SecretBoxTest, KeyFileIsCreated0600AndReused) {
  TempDir dir;
  auto first = LoadMasterKey("", dir.path_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat sb {};
  ASSERT_EQ(::stat((dir.path_ + "/secret.key").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(sb.st_size, 32);
  auto second = LoadMasterKey("", dir.path_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(SecretBoxTest, LooseKeyFilePermissionsRefuseToStart) {
  TempDir dir;
  ASSERT_TRUE(LoadMasterKey("", dir.path_).ok());
  std::string path = dir.path_ + "/secret.key";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = LoadMasterKey("", dir.path_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the secret key file " + path +
                                      " has permissions 0644; it must be readable by its owner "
                                      "only (chmod 600 " +
                                      path + ")");
}

TEST(SecretBoxTest, WrongLengthKeyFileRefusesToStart) {
  TempDir dir;
  std::string path = dir.path_ + "/secret.key";
  {
    std::ofstream out(path, std::ios::binary);
    out << "too short";
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto r = LoadMasterKey("", dir.path_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("must hold exactly 32 bytes, found 9"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace nexus::auth
