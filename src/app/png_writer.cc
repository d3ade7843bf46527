// PNG encoding for the demo's screenshots; see png_writer.h.
#include "app/png_writer.h"

#include <zlib.h>

#include <algorithm>

namespace nexus::app {
namespace {

void Put32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

// length, type, data, CRC-32 of type + data.
void Chunk(std::string* out, const char type[4], const std::string& data) {
  Put32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  *out += body;
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  Put32(out, static_cast<uint32_t>(crc));
}

}  // namespace

void RgbImage::Fill(int x, int y, int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  const int x0 = std::max(0, x), y0 = std::max(0, y);
  const int x1 = std::min(width, x + w), y1 = std::min(height, y + h);
  for (int row = y0; row < y1; ++row) {
    for (int col = x0; col < x1; ++col) {
      size_t i = (static_cast<size_t>(row) * width + col) * 3;
      pixels[i] = r;
      pixels[i + 1] = g;
      pixels[i + 2] = b;
    }
  }
}

std::string EncodePng(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
    return "";
  // Scanlines, each led by filter type 0 (None).
  const size_t stride = static_cast<size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((stride + 1) * image.height);
  for (int row = 0; row < image.height; ++row) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.pixels.data()) + row * stride, stride);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_BEST_COMPRESSION) != Z_OK)
    return "";
  packed.resize(packed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  Put32(&ihdr, static_cast<uint32_t>(image.width));
  Put32(&ihdr, static_cast<uint32_t>(image.height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  Chunk(&png, "IHDR", ihdr);
  Chunk(&png, "IDAT", packed);
  Chunk(&png, "IEND", "");
  return png;
}

std::string DemoScreenshotPng(int step_index, bool failed) {
  RgbImage img(640, 400);
  img.Fill(0, 0, 640, 28, 222, 225, 230);  // window chrome
  img.Fill(8, 9, 10, 10, 237, 106, 94);    // the three window buttons
  img.Fill(24, 9, 10, 10, 245, 191, 79);
  img.Fill(40, 9, 10, 10, 98, 197, 84);
  img.Fill(70, 6, 500, 16, 255, 255, 255);   // address bar
  img.Fill(0, 28, 640, 48, 37, 99, 235);     // page header
  img.Fill(20, 44, 120, 16, 255, 255, 255);  // logo
  // "Text" lines and a card whose place depends on the step.
  for (int line = 0; line < 8; ++line) {
    int width = 200 + ((line * 97 + step_index * 53) % 360);
    img.Fill(20, 96 + line * 22, width, 10, 190, 194, 201);
  }
  const int card_x = 40 + (step_index % 3) * 190;
  img.Fill(card_x, 290, 170, 80, 243, 244, 246);
  img.Fill(card_x + 10, 300, 100, 12, 55, 65, 81);
  img.Fill(card_x + 10, 340, 60, 20, 37, 99, 235);  // a button
  if (failed) {                                     // a red frame around the element that failed
    img.Fill(card_x - 4, 286, 178, 4, 220, 38, 38);
    img.Fill(card_x - 4, 370, 178, 4, 220, 38, 38);
    img.Fill(card_x - 4, 286, 4, 88, 220, 38, 38);
    img.Fill(card_x + 170, 286, 4, 88, 220, 38, 38);
  }
  return EncodePng(img);
}

}  // namespace nexus::app
