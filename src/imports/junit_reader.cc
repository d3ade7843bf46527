// JUnitDocumentReader: zlib inflate (gzip) → SHA-256 → JUnitParser.
#include "imports/junit_reader.h"

#include <sodium.h>
#include <zlib.h>

#include <cstring>
#include <vector>

namespace nexus::imports {

struct JUnitDocumentReader::Impl {
  Impl(JUnitParser::CaseFn fn, JUnitReaderOptions o) : options(o), parser(std::move(fn), o.parser) {
    crypto_hash_sha256_init(&sha);
  }
  ~Impl() {
    if (inflating) inflateEnd(&zs);
  }

  // Hashes and parses XML bytes.
  Status Xml(std::string_view s) {
    xml_bytes += s.size();
    if (xml_bytes > options.max_xml_bytes)
      return InvalidArgument(
          "the report is larger than " + std::to_string(options.max_xml_bytes) + " bytes of XML",
          "body", "too_large");
    crypto_hash_sha256_update(&sha, reinterpret_cast<const unsigned char*>(s.data()), s.size());
    return parser.Feed(s);
  }

  Status Gunzip(std::string_view s, bool flush) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
    zs.avail_in = static_cast<uInt>(s.size());
    out.resize(256 * 1024);
    while (zs.avail_in > 0 || flush) {
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&zs, Z_NO_FLUSH);
      size_t produced = out.size() - zs.avail_out;
      if (produced > 0) NEXUS_RETURN_IF_ERROR(Xml(std::string_view(out.data(), produced)));
      if (rc == Z_STREAM_END) {
        // A concatenated gzip member (gzip a b > c) continues the same XML.
        if (zs.avail_in == 0) {
          ended = true;
          return Status::Ok();
        }
        inflateReset(&zs);
        continue;
      }
      if (rc == Z_BUF_ERROR && produced == 0) {
        if (flush)
          return InvalidArgument("body is not valid gzip: it ends early", "body", "invalid_gzip");
        return Status::Ok();  // needs more input
      }
      if (rc != Z_OK)
        return InvalidArgument(
            std::string("body is not valid gzip: ") + (zs.msg ? zs.msg : "corrupt stream"), "body",
            "invalid_gzip");
      ended = false;
    }
    return Status::Ok();
  }

  Status Feed(std::string_view s) {
    if (s.empty()) return Status::Ok();
    if (!decided) {
      // Wait for two bytes to tell gzip from XML.
      head.append(s.substr(0, 2 - std::min<size_t>(head.size(), 2)));
      if (head.size() < 2) {
        pending.append(s);
        return Status::Ok();
      }
      decided = true;
      gzip = static_cast<unsigned char>(head[0]) == 0x1f &&
             static_cast<unsigned char>(head[1]) == 0x8b;
      if (gzip) {
        std::memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 15 + 16) != Z_OK) return Internal("zlib initialisation failed");
        inflating = true;
      }
      std::string first = std::move(pending);
      first.append(s);
      pending.clear();
      return gzip ? Gunzip(first, false) : Xml(first);
    }
    return gzip ? Gunzip(s, false) : Xml(s);
  }

  Result<std::string> Finish() {
    if (!decided) {
      decided = true;
      NEXUS_RETURN_IF_ERROR(Xml(pending));
    } else if (gzip && !ended) {
      NEXUS_RETURN_IF_ERROR(Gunzip({}, true));
    }
    NEXUS_RETURN_IF_ERROR(parser.Finish());
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&sha, digest);
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : digest) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 15]);
    }
    return hex;
  }

  JUnitReaderOptions options;
  JUnitParser parser;
  crypto_hash_sha256_state sha;
  bool decided = false;
  bool gzip = false;
  bool inflating = false;
  bool ended = false;
  std::string head, pending;
  z_stream zs;
  std::vector<char> out;
  size_t xml_bytes = 0;
};

JUnitDocumentReader::JUnitDocumentReader(JUnitParser::CaseFn on_case, JUnitReaderOptions options)
    : impl_(std::make_unique<Impl>(std::move(on_case), options)) {}
JUnitDocumentReader::~JUnitDocumentReader() = default;
Status JUnitDocumentReader::Feed(std::string_view chunk) { return impl_->Feed(chunk); }
Result<std::string> JUnitDocumentReader::Finish() { return impl_->Finish(); }
int64_t JUnitDocumentReader::cases() const { return impl_->parser.cases(); }
size_t JUnitDocumentReader::xml_bytes() const { return impl_->xml_bytes; }

}  // namespace nexus::imports
