#ifndef FORUM_REGISTRY_EXPORT_ZIP_WRITER_H_
#define FORUM_REGISTRY_EXPORT_ZIP_WRITER_H_

// Zip archives written front to back into a Sink, and the two FileSets the
// CSV export writes into: a zip, or a directory.
//
//   ZipWriter zip(&out);
//   FR_RETURN_IF_ERROR(zip.BeginEntry("forums.csv"));
//   FR_RETURN_IF_ERROR(zip.Write(row));   // as often as needed
//   FR_RETURN_IF_ERROR(zip.EndEntry());
//   FR_RETURN_IF_ERROR(zip.Finish());      // the central directory
//
// The sink may be an HTTP answer, which cannot seek back, so each entry's CRC
// and sizes follow its data in a data descriptor (general purpose flag bit
// 3) and the central directory at the end repeats them; every reader of
// note, Python's zipfile and Info-ZIP's unzip among them, reads the sizes
// from there. Entries are deflated (method 8) with zlib at level 6, names are
// flagged UTF-8 (bit 11), and every entry is dated 1980-01-01 00:00, the
// earliest DOS date, so that one snapshot always gives the same bytes.
//
// Memory is bounded by zlib's deflate state and a 64 KiB output buffer,
// plus a small record per entry for the central directory.
//
// ZIP64 (APPNOTE 4.5.3) is written only where a value does not fit the
// classic fields: an entry of 4 GiB or more gets a data descriptor with 8-byte
// sizes and a ZIP64 extra field in its central directory header, as does an
// entry whose local header starts 4 GiB or more into the archive; an archive
// of 65535 entries or more, or whose central directory starts or ends past
// 4 GiB, gets the ZIP64 end records. Since an entry's size is known only
// after its local header is written, that header never carries a ZIP64
// extra field (Java's ZipOutputStream and Go's archive/zip do the same);
// readers take the sizes from the central directory.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "src/export/sink.h"

// zlib's stream state, kept out of this header.
struct z_stream_s;

namespace forum_registry::exports {

namespace zip_internal {

// What the central directory knows of one entry.
struct EntryRecord {
  std::string name;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

// The records of the format, exposed so that the ZIP64 cases can be tested
// without writing 4 GiB.
std::string LocalFileHeader(absl::string_view name);
std::string DataDescriptor(const EntryRecord& entry);
std::string CentralDirectoryHeader(const EntryRecord& entry);
// The end of central directory record, preceded by the ZIP64 end record and
// its locator when `entries` or the directory's place need them.
std::string EndOfCentralDirectory(uint64_t entries, uint64_t directory_offset,
                                  uint64_t directory_size);

}  // namespace zip_internal

class ZipWriter {
 public:
  // `out` must outlive the writer.
  explicit ZipWriter(Sink* out);
  ~ZipWriter();

  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Starts an entry named `name` (a relative path with "/" separators).
  // INVALID_ARGUMENT for an empty name, one longer than 65535 bytes, or one
  // already written; FAILED_PRECONDITION while another entry is open.
  absl::Status BeginEntry(const std::string& name);
  // Appends to the open entry.
  absl::Status Write(absl::string_view bytes);
  // Ends the open entry: the rest of its deflated data and its descriptor.
  absl::Status EndEntry();
  // Writes the central directory and the end records. No entry may be open.
  absl::Status Finish();

 private:
  enum class State { kBetweenEntries, kInEntry, kFinished, kFailed };

  // Writes `bytes` to the sink, counting them for the offsets.
  absl::Status Emit(absl::string_view bytes);
  // Deflates what the stream holds with `flush` until zlib is done with it,
  // emitting each full output buffer.
  absl::Status Deflate(int flush);
  // Moves to kFailed, where every later call returns `status`.
  absl::Status Fail(absl::Status status);

  Sink* const out_;
  State state_ = State::kBetweenEntries;
  absl::Status failure_;
  std::unique_ptr<z_stream_s> stream_;
  std::vector<unsigned char> buffer_;
  uint64_t offset_ = 0;  // Bytes emitted so far.
  zip_internal::EntryRecord entry_;
  std::vector<zip_internal::EntryRecord> directory_;
  absl::flat_hash_set<std::string> names_;
};

// A FileSet that is one zip, written into `out` as it goes.
//
// A zip holds one entry after another, but CSV writers keep several files
// open at once. The first file opened streams straight into the zip; a file
// opened while another streams is written to a temporary file instead
// (std::tmpfile, removed when closed or when the process ends). When the
// streaming file closes, the temporary files already closed are copied into
// the zip in the order they were closed, and then the earliest opened of
// those still open becomes the streaming one: what it wrote so far is copied
// in and the rest goes straight into the zip. Memory stays bounded whatever
// the files' sizes; the disk holds at most the files written alongside the
// streaming one.
class ZipFileSet : public FileSet {
 public:
  // `out` must outlive the set.
  explicit ZipFileSet(Sink* out);
  ~ZipFileSet() override;

  // INVALID_ARGUMENT if `name` was opened before; INTERNAL if a temporary
  // file cannot be made.
  absl::StatusOr<Sink*> Open(const std::string& name) override;
  // NOT_FOUND if `name` is not open.
  absl::Status Close(const std::string& name) override;
  // Closes the open files in the order they were opened, then writes the
  // central directory.
  absl::Status Finish() override;

 private:
  class File;

  absl::Status CloseFile(File& file);
  // Copies the spilled files closed meanwhile into the zip, then lets the
  // earliest opened file still open stream.
  absl::Status AfterStreamingClosed();
  // Copies what `file` wrote to its temporary file into the zip's open entry.
  absl::Status CopySpill(File& file);

  ZipWriter zip_;
  // Every file opened, in opening order; kept after closing so that a Sink
  // pointer handed out stays valid (its writes are refused) until the set is
  // destroyed.
  std::vector<std::unique_ptr<File>> files_;
  File* streaming_ = nullptr;
  // Spilled files closed while another streamed, in closing order.
  std::vector<File*> closed_spills_;
};

// A FileSet that is a directory: Open(name) writes `<dir>/<name>.tmp` and
// Close renames it to `<dir>/<name>`, so that a reader of the directory
// never sees half a file. The directory is made (with its parents) at the
// first Open. Files still open when the set is destroyed are removed.
class DirectoryFileSet : public FileSet {
 public:
  explicit DirectoryFileSet(std::filesystem::path directory);
  ~DirectoryFileSet() override;

  // INVALID_ARGUMENT for a name that is not a plain file name (empty, ".",
  // "..", or holding "/"), or one opened before; UNAVAILABLE naming the path
  // and the system's reason if the directory or file cannot be made.
  absl::StatusOr<Sink*> Open(const std::string& name) override;
  // NOT_FOUND if `name` is not open; UNAVAILABLE naming the path if the
  // file cannot be completed or renamed.
  absl::Status Close(const std::string& name) override;
  // Closes the open files in the order they were opened.
  absl::Status Finish() override;

 private:
  class File;

  absl::Status CloseFile(File& file);

  const std::filesystem::path directory_;
  bool directory_made_ = false;
  std::vector<std::unique_ptr<File>> files_;
};

}  // namespace forum_registry::exports

#endif  // FORUM_REGISTRY_EXPORT_ZIP_WRITER_H_
