// JUnitDocumentReader: one report body as it arrives (plain XML, or gzip — recognised by its
// magic bytes, whatever the headers said) → its SHA-256 and its testcases. The SHA-256 is of
// the XML itself (after gunzip), so the same report uploaded plain or compressed is the same
// report for idempotency (R-IMPORT). Streaming: memory is bounded by one chunk, zlib's window
// and one testcase. Pure (zlib and libsodium's SHA-256, no I/O). Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "imports/junit_parser.h"

namespace nexus::imports {

struct JUnitReaderOptions {
  JUnitParserOptions parser;
  // Decompressed XML larger than this is refused (InvalidArgument, reason "too_large"): a
  // gzip bomb stops here, after reading at most this many bytes.
  size_t max_xml_bytes = size_t{1} << 30;
};

class JUnitDocumentReader {
 public:
  JUnitDocumentReader(JUnitParser::CaseFn on_case, JUnitReaderOptions options = {});
  ~JUnitDocumentReader();
  JUnitDocumentReader(const JUnitDocumentReader&) = delete;
  JUnitDocumentReader& operator=(const JUnitDocumentReader&) = delete;

  // The next bytes of the body. Errors: the parser's (junit_parser.h); a corrupt gzip
  // stream ("body is not valid gzip: …", reason invalid_gzip); too much XML (too_large).
  Status Feed(std::string_view chunk);
  // Ends the body; returns the lower-case hex SHA-256 of the XML.
  Result<std::string> Finish();

  int64_t cases() const;
  size_t xml_bytes() const;  // XML read so far (after gunzip)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nexus::imports
