// SecretBox: authenticated encryption of secrets stored at rest (the TestRail API keys,
// R-CONN-3). The production implementation is libsodium's crypto_secretbox
// (XSalsa20-Poly1305) under one 32-byte master key, which comes from NEXUS_SECRET_KEY or a
// generated key file in the data directory (see LoadMasterKey and docs/testrail-config.md).
// Tests inject their own SecretBox.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace nexus::auth {

struct SealedSecret {
  std::string nonce;       // raw bytes
  std::string ciphertext;  // raw bytes (MAC included)
};

class SecretBox {
 public:
  virtual ~SecretBox() = default;
  // Encrypts `plaintext` under a fresh random nonce. Internal on failure. Thread-safe.
  virtual Result<SealedSecret> Seal(std::string_view plaintext) const = 0;
  // Decrypts and authenticates. Conflict (field "api_key", reason "secret_unreadable", a message
  // saying what to do) when the ciphertext is malformed, was tampered with or was sealed under
  // another master key. Thread-safe.
  virtual Result<std::string> Open(const SealedSecret& sealed) const = 0;
};

// Conflict (field "api_key", reason "secret_unreadable"): a stored secret this server's master
// key cannot open, with what the user can do about it. Open() answers it; callers that learn
// of an unreadable key another way answer the same.
Status SecretUnreadable();

inline constexpr size_t kMasterKeyBytes = 32;
using MasterKey = std::array<unsigned char, kMasterKeyBytes>;

// Parses a master key given as 64 hex digits or as standard/URL-safe base64 (with or
// without padding) of exactly 32 bytes. InvalidArgument (field "secret_key") otherwise;
// the message never repeats the input.
Result<MasterKey> ParseMasterKey(std::string_view text);

// The master key: `configured` (NEXUS_SECRET_KEY) when non-empty; otherwise the key file
// `<data_dir>/secret.key` (32 raw bytes), created with mode 0600 when missing. Refuses
// (InvalidArgument, clear message) a key file that is readable or writable by group/others
// or whose size is not 32 bytes.
Result<MasterKey> LoadMasterKey(const std::string& configured, const std::string& data_dir);

// crypto_secretbox_easy with `key`. Thread-safe.
class SodiumSecretBox final : public SecretBox {
 public:
  explicit SodiumSecretBox(const MasterKey& key);
  ~SodiumSecretBox() override;
  Result<SealedSecret> Seal(std::string_view plaintext) const override;
  Result<std::string> Open(const SealedSecret& sealed) const override;

 private:
  MasterKey key_;
};

}  // namespace nexus::auth
