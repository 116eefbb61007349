#ifndef FORUM_REGISTRY_EXPORT_SINK_H_
#define FORUM_REGISTRY_EXPORT_SINK_H_

// Where an export's bytes go: a file, a string (tests), a zip entry, or an
// HTTP answer in chunks. Writers call Write with text as they make it and
// never hold a whole export, so memory stays bounded by what a sink keeps.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace forum_registry::exports {

class Sink {
 public:
  virtual ~Sink() = default;
  // Appends `bytes`; an error (a full disk, a client gone) stops the export.
  virtual absl::Status Write(absl::string_view bytes) = 0;
};

// Keeps everything: for tests and small exports.
class StringSink : public Sink {
 public:
  absl::Status Write(absl::string_view bytes) override {
    text_.append(bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Writes to a stdio stream it does not own.
class FileSink : public Sink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}
  absl::Status Write(absl::string_view bytes) override {
    if (bytes.empty()) return absl::OkStatus();
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
      return absl::UnavailableError("cannot write the export's output");
    }
    return absl::OkStatus();
  }

 private:
  std::FILE* file_;
};

// A set of named files (CSV's one file per kind): a directory, or a zip.
// Several files may be open at once; each is complete when closed.
class FileSet {
 public:
  virtual ~FileSet() = default;
  // A new file `name` ("forums.csv"); valid until Close(name) or Finish.
  virtual absl::StatusOr<Sink*> Open(const std::string& name) = 0;
  virtual absl::Status Close(const std::string& name) = 0;
  // Closes what is open and ends the set (a zip's central directory).
  virtual absl::Status Finish() = 0;
};

}  // namespace forum_registry::exports

#endif  // FORUM_REGISTRY_EXPORT_SINK_H_
