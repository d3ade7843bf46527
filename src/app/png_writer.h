// A minimal PNG encoder (8-bit RGB, zlib-compressed, no filters) and the synthetic
// "screenshots" `nexus demo` attaches to its runs (issue 17): real PNG files any viewer and
// TestRail accept, generated without an image library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nexus::app {

// An RGB image, rows top to bottom, 3 bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;  // width * height * 3

  RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3, 255) {}
  // Fills the rectangle [x, x+w) × [y, y+h), clipped to the image.
  void Fill(int x, int y, int w, int h, uint8_t r, uint8_t g, uint8_t b);
};

// The PNG file of `image` (signature, IHDR, one IDAT, IEND). Empty for an image without
// pixels or whose pixel count does not match its size.
std::string EncodePng(const RgbImage& image);

// A 640×400 picture of a browser page for step `step_index` of a demo run: window chrome, a
// header, "text" lines laid out by the step index, and a red frame around an element when
// the step failed. Deterministic (same inputs, same bytes).
std::string DemoScreenshotPng(int step_index, bool failed);

}  // namespace nexus::app
