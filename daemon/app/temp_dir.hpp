#pragma once

#include <filesystem>

namespace redrund {

// A fresh private directory under $TMPDIR (or /tmp), removed with everything in it when the
// object is destroyed.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace redrund
