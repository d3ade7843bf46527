// DirBlobStore (blob_store.h): content-addressed files under a root directory.
#include "storage/blob_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace nexus {
namespace fs = std::filesystem;
namespace {

bool IsHexDigest(const std::string& s) {
  if (s.size() != 64) return false;
  for (char ch : s)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

class FileReader final : public BlobReader {
 public:
  FileReader(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileReader() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  size_t ReadAt(uint64_t offset, char* buf, size_t cap) override {
    for (;;) {
      ssize_t n = ::pread(fd_, buf, cap, static_cast<off_t>(offset));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return 0;
    }
  }

 private:
  int fd_;
  uint64_t size_;
};

class DirBlobStore final : public BlobStore {
 public:
  explicit DirBlobStore(fs::path root) : root_(std::move(root)) {}

  Status PutFile(const std::string& sha256, const std::string& path) override {
    if (!IsHexDigest(sha256)) return InvalidArgument("not a SHA-256 digest", "sha256");
    const fs::path target = PathOf(sha256);
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Internal("store blob: cannot create its directory (" + ec.message() + ")");
    if (fs::exists(target, ec)) {  // same bytes already stored: keep one copy
      fs::remove(path, ec);
      return Status::Ok();
    }
    fs::rename(path, target, ec);
    if (ec) return Internal("store blob: cannot move the upload into place (" + ec.message() + ")");
    return Status::Ok();
  }

  Result<std::unique_ptr<BlobReader>> Open(const std::string& sha256) override {
    if (!IsHexDigest(sha256)) return NotFound("blob not found");
    const fs::path p = PathOf(sha256);
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound("blob not found");
      return Internal(std::string("open blob: ") + std::strerror(errno));
    }
    std::error_code ec;
    uint64_t size = fs::file_size(p, ec);
    if (ec) {
      ::close(fd);
      return Internal("open blob: " + ec.message());
    }
    return std::unique_ptr<BlobReader>(std::make_unique<FileReader>(fd, size));
  }

  Status Remove(const std::string& sha256) override {
    if (!IsHexDigest(sha256)) return Status::Ok();
    std::error_code ec;
    fs::remove(PathOf(sha256), ec);
    if (ec) return Internal("remove blob: " + ec.message());
    return Status::Ok();
  }

  std::string SpoolDir() const override { return (root_ / "tmp").string(); }

 private:
  fs::path PathOf(const std::string& sha256) const { return root_ / sha256.substr(0, 2) / sha256; }
  fs::path root_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenDirBlobStore(const std::string& root) {
  std::error_code ec;
  fs::create_directories(fs::path(root) / "tmp", ec);
  if (ec) return Internal("open blob store: cannot create " + root + " (" + ec.message() + ")");
  for (const auto& entry : fs::directory_iterator(fs::path(root) / "tmp", ec))
    fs::remove(entry.path(), ec);  // uploads cut off by a crash
  return std::unique_ptr<BlobStore>(std::make_unique<DirBlobStore>(root));
}

Result<FileDigest> DigestFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal(std::string("digest upload: ") + std::strerror(errno));
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::array<unsigned char, 64 * 1024> buf;
  FileDigest out;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Internal(std::string("digest upload: ") + std::strerror(errno));
    }
    if (n == 0) break;
    crypto_hash_sha256_update(&state, buf.data(), static_cast<size_t>(n));
    out.size += static_cast<uint64_t>(n);
  }
  ::close(fd);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  out.sha256 = hex;
  return out;
}

}  // namespace nexus
