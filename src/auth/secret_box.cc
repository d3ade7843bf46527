// libsodium secret box and master key loading (see secret_box.h).
#include "auth/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "auth/crypto.h"

namespace nexus::auth {
namespace {

Status KeyError(std::string msg) { return InvalidArgument(std::move(msg), "secret_key"); }

std::string Trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\n' || s.front() == '\r' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

Status SecretUnreadable() {
  return Status(StatusCode::kConflict,
                "The stored TestRail API key cannot be decrypted with this server's master key "
                "(was NEXUS_SECRET_KEY or the secret.key file changed?). Re-enter the API key "
                "under Configs → TestRail, or restart Nexus with the previous key.",
                "api_key", "secret_unreadable");
}

Result<MasterKey> ParseMasterKey(std::string_view text) {
  NEXUS_RETURN_IF_ERROR(InitCrypto());
  std::string t = Trim(text);
  MasterKey key{};
  size_t len = 0;
  if (t.size() == 2 * kMasterKeyBytes &&
      sodium_hex2bin(key.data(), key.size(), t.data(), t.size(), nullptr, &len, nullptr) == 0 &&
      len == kMasterKeyBytes)
    return key;
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    unsigned char buf[kMasterKeyBytes + 8];
    const char* end = nullptr;
    if (sodium_base642bin(buf, sizeof buf, t.data(), t.size(), nullptr, &len, &end, variant) == 0 &&
        end == t.data() + t.size() && len == kMasterKeyBytes) {
      std::memcpy(key.data(), buf, kMasterKeyBytes);
      sodium_memzero(buf, sizeof buf);
      return key;
    }
  }
  return KeyError(
      "NEXUS_SECRET_KEY must be 32 bytes given as 64 hex digits or base64 (e.g. the output of "
      "`openssl rand -base64 32`)");
}

Result<MasterKey> LoadMasterKey(const std::string& configured, const std::string& data_dir) {
  NEXUS_RETURN_IF_ERROR(InitCrypto());
  if (!configured.empty()) return ParseMasterKey(configured);

  std::string path = (std::filesystem::path(data_dir) / "secret.key").string();
  MasterKey key{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    randombytes_buf(key.data(), key.size());
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return KeyError("cannot create the secret key file " + path + ": " + std::strerror(errno));
    ssize_t n = ::write(fd, key.data(), key.size());
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (n != static_cast<ssize_t>(key.size()) || !synced) {
      ::unlink(path.c_str());
      return KeyError("cannot write the secret key file " + path);
    }
    return key;
  }
  if (fd < 0)
    return KeyError("cannot open the secret key file " + path + ": " + std::strerror(errno));
  struct stat sb {};
  if (::fstat(fd, &sb) != 0) {
    ::close(fd);
    return KeyError("cannot stat the secret key file " + path);
  }
  if ((sb.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(sb.st_mode & 07777));
    return KeyError("the secret key file " + path + " has permissions " + mode +
                    "; it must be readable by its owner only (chmod 600 " + path + ")");
  }
  if (sb.st_size != static_cast<off_t>(kMasterKeyBytes)) {
    ::close(fd);
    return KeyError("the secret key file " + path + " must hold exactly 32 bytes, found " +
                    std::to_string(sb.st_size) +
                    " (restore the original file or set NEXUS_SECRET_KEY)");
  }
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()))
    return KeyError("cannot read the secret key file " + path);
  return key;
}

SodiumSecretBox::SodiumSecretBox(const MasterKey& key) : key_(key) { (void)InitCrypto(); }

SodiumSecretBox::~SodiumSecretBox() { sodium_memzero(key_.data(), key_.size()); }

Result<SealedSecret> SodiumSecretBox::Seal(std::string_view plaintext) const {
  SealedSecret out;
  out.nonce.resize(crypto_secretbox_NONCEBYTES);
  randombytes_buf(out.nonce.data(), out.nonce.size());
  out.ciphertext.resize(plaintext.size() + crypto_secretbox_MACBYTES);
  if (crypto_secretbox_easy(
          reinterpret_cast<unsigned char*>(out.ciphertext.data()),
          reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
          reinterpret_cast<const unsigned char*>(out.nonce.data()), key_.data()) != 0)
    return Internal("cannot encrypt the secret");
  return out;
}

Result<std::string> SodiumSecretBox::Open(const SealedSecret& sealed) const {
  if (sealed.nonce.size() != crypto_secretbox_NONCEBYTES ||
      sealed.ciphertext.size() < crypto_secretbox_MACBYTES)
    return SecretUnreadable();
  std::string plain(sealed.ciphertext.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(sealed.ciphertext.data()),
                                 sealed.ciphertext.size(),
                                 reinterpret_cast<const unsigned char*>(sealed.nonce.data()),
                                 key_.data()) != 0)
    return SecretUnreadable();
  return plain;
}

}  // namespace nexus::auth
