// Small libsodium wrappers used by authentication: argon2id password hashing, random
// tokens and SHA-256 hashing of tokens. Thread-safe (libsodium is initialised once).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace nexus::auth {

// Initialises libsodium; returns Internal if it cannot. Idempotent.
Status InitCrypto();

// Argon2id cost. kInteractive is the product setting; kMinimum exists for tests that create
// many users (same algorithm, lowest cost libsodium accepts).
enum class KdfStrength { kInteractive, kModerate, kMinimum };

// Returns a self-describing "$argon2id$…" string (salt and parameters included).
Result<std::string> HashPassword(std::string_view password, KdfStrength strength);
// Constant-time check of `password` against a HashPassword string.
bool VerifyPassword(std::string_view password, const std::string& hash);

// `bytes` random bytes, base64url without padding.
std::string RandomToken(size_t bytes);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Constant-time equality of two strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace nexus::auth
