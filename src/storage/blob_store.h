// BlobStore: where the bytes of run artifacts live (issue 17, R-ART), addressed by their
// SHA-256 so the same content is stored once. The default is a directory under the data dir
// (DirBlobStore); a database-backed store lets several instances share blobs without a shared
// disk. Thread-safe: any thread may call any method.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace nexus {

// Reads one stored blob piece by piece (downloads never hold a blob whole).
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual uint64_t size() const = 0;
  // Up to `cap` bytes from `offset` into `buf`; how many were read (0 at the end or on error).
  virtual size_t ReadAt(uint64_t offset, char* buf, size_t cap) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Takes the file at `path` (whose content has SHA-256 `sha256`, lower-case hex) into the
  // store. When the content is already stored the file is just removed. The file is gone
  // afterwards on success; on failure it is left for the caller to remove.
  virtual Status PutFile(const std::string& sha256, const std::string& path) = 0;
  // NotFound when no blob has that address.
  virtual Result<std::unique_ptr<BlobReader>> Open(const std::string& sha256) = 0;
  // Removes the blob (no-op when absent). Callers first check that no artifact references it.
  virtual Status Remove(const std::string& sha256) = 0;
  // A directory on the same file system as the store where uploads are spooled before
  // PutFile, so taking them in is a rename rather than a copy.
  virtual std::string SpoolDir() const = 0;
};

// Blobs as files `<root>/<first two hex digits>/<sha256>`, spooled uploads in `<root>/tmp`
// (emptied when opened: leftovers of a crash). Creates the directories.
Result<std::unique_ptr<BlobStore>> OpenDirBlobStore(const std::string& root);

// Streams the file at `path` through SHA-256; lower-case hex, and its size in bytes.
struct FileDigest {
  std::string sha256;
  uint64_t size = 0;
};
Result<FileDigest> DigestFile(const std::string& path);

}  // namespace nexus
