#include "src/export/zip_writer.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/domain/status_macros.h"

namespace forum_registry::exports {
namespace {

// PKWARE's APPNOTE.TXT 6.3.10; section numbers below are from it.
constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kDataDescriptorSignature = 0x08074b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint32_t kEndSignature = 0x06054b50;

// 4.4.4: bit 3, the CRC and sizes follow the data; bit 11, the name is
// UTF-8.
constexpr uint16_t kFlags = 0x0008 | 0x0800;
constexpr uint16_t kMethodDeflate = 8;
// 4.4.6: 00:00:00 on 1980-01-01, (year - 1980) << 9 | month << 5 | day.
constexpr uint16_t kDosTime = 0;
constexpr uint16_t kDosDate = (1 << 5) | 1;
// 4.4.3: 2.0 for deflate, 4.5 for ZIP64 records.
constexpr uint16_t kNeedsDeflate = 20;
constexpr uint16_t kNeedsZip64 = 45;
// 4.4.2: made on Unix (3) by a writer of version 4.5, so that unzip takes
// the permissions below from the external attributes.
constexpr uint16_t kMadeBy = (3 << 8) | 45;
// A regular file, rw-r--r--, in the high half (Unix st_mode).
constexpr uint32_t kExternalAttributes = 0100644u << 16;
constexpr uint16_t kZip64ExtraId = 0x0001;

// A classic field holding this value says "see the ZIP64 record" (4.4.8),
// so the value itself needs ZIP64 too.
constexpr uint64_t kMax32 = 0xFFFFFFFF;
constexpr uint64_t kMax16 = 0xFFFF;

constexpr size_t kBufferSize = 64 * 1024;
constexpr int kDeflateLevel = 6;
constexpr int kMemLevel = 8;

void Put16(std::string* out, uint64_t value) {
  out->push_back(static_cast<char>(value & 0xff));
  out->push_back(static_cast<char>((value >> 8) & 0xff));
}
void Put32(std::string* out, uint64_t value) {
  Put16(out, value & 0xffff);
  Put16(out, (value >> 16) & 0xffff);
}
void Put64(std::string* out, uint64_t value) {
  Put32(out, value & 0xffffffff);
  Put32(out, value >> 32);
}

// The classic field's value: the value, or the ZIP64 marker.
uint64_t Clamp32(uint64_t value) { return std::min(value, kMax32); }

std::string ErrnoText(int error) {
  return std::generic_category().message(error);
}

}  // namespace

namespace zip_internal {

// 4.3.7. The CRC and sizes are zero; the data descriptor has them.
std::string LocalFileHeader(absl::string_view name) {
  std::string out;
  Put32(&out, kLocalHeaderSignature);
  Put16(&out, kNeedsDeflate);
  Put16(&out, kFlags);
  Put16(&out, kMethodDeflate);
  Put16(&out, kDosTime);
  Put16(&out, kDosDate);
  Put32(&out, 0);  // CRC-32
  Put32(&out, 0);  // Compressed size.
  Put32(&out, 0);  // Uncompressed size.
  Put16(&out, name.size());
  Put16(&out, 0);  // Extra field length.
  out.append(name.data(), name.size());
  return out;
}

// 4.3.9, with the signature most readers expect. Sizes are 8 bytes when
// either does not fit in 4 (4.3.9.2).
std::string DataDescriptor(const EntryRecord& entry) {
  std::string out;
  Put32(&out, kDataDescriptorSignature);
  Put32(&out, entry.crc32);
  if (entry.compressed_size >= kMax32 || entry.uncompressed_size >= kMax32) {
    Put64(&out, entry.compressed_size);
    Put64(&out, entry.uncompressed_size);
  } else {
    Put32(&out, entry.compressed_size);
    Put32(&out, entry.uncompressed_size);
  }
  return out;
}

// 4.3.12, with the ZIP64 extra field of 4.5.3 holding, in this fixed order,
// just those values whose classic field says 0xFFFFFFFF.
std::string CentralDirectoryHeader(const EntryRecord& entry) {
  std::string zip64;
  if (entry.uncompressed_size >= kMax32) Put64(&zip64, entry.uncompressed_size);
  if (entry.compressed_size >= kMax32) Put64(&zip64, entry.compressed_size);
  if (entry.local_header_offset >= kMax32) {
    Put64(&zip64, entry.local_header_offset);
  }
  std::string extra;
  if (!zip64.empty()) {
    Put16(&extra, kZip64ExtraId);
    Put16(&extra, zip64.size());
    extra.append(zip64);
  }

  std::string out;
  Put32(&out, kCentralHeaderSignature);
  Put16(&out, kMadeBy);
  Put16(&out, zip64.empty() ? kNeedsDeflate : kNeedsZip64);
  Put16(&out, kFlags);
  Put16(&out, kMethodDeflate);
  Put16(&out, kDosTime);
  Put16(&out, kDosDate);
  Put32(&out, entry.crc32);
  Put32(&out, Clamp32(entry.compressed_size));
  Put32(&out, Clamp32(entry.uncompressed_size));
  Put16(&out, entry.name.size());
  Put16(&out, extra.size());
  Put16(&out, 0);  // Comment length.
  Put16(&out, 0);  // Disk number start.
  Put16(&out, 0);  // Internal attributes.
  Put32(&out, kExternalAttributes);
  Put32(&out, Clamp32(entry.local_header_offset));
  out.append(entry.name);
  out.append(extra);
  return out;
}

// 4.3.14 and 4.3.15 when needed, then 4.3.16.
std::string EndOfCentralDirectory(uint64_t entries, uint64_t directory_offset,
                                  uint64_t directory_size) {
  std::string out;
  const uint64_t zip64_end_offset = directory_offset + directory_size;
  if (entries >= kMax16 || directory_offset >= kMax32 ||
      directory_size >= kMax32) {
    Put32(&out, kZip64EndSignature);
    Put64(&out, 44);  // The record's size after this field.
    Put16(&out, kMadeBy);
    Put16(&out, kNeedsZip64);
    Put32(&out, 0);        // This disk.
    Put32(&out, 0);        // The disk where the directory starts.
    Put64(&out, entries);  // On this disk.
    Put64(&out, entries);  // In all.
    Put64(&out, directory_size);
    Put64(&out, directory_offset);

    Put32(&out, kZip64LocatorSignature);
    Put32(&out, 0);  // The disk of the ZIP64 end record.
    Put64(&out, zip64_end_offset);
    Put32(&out, 1);  // Disks in all.
  }
  Put32(&out, kEndSignature);
  Put16(&out, 0);  // This disk.
  Put16(&out, 0);  // The disk where the directory starts.
  Put16(&out, std::min(entries, kMax16));
  Put16(&out, std::min(entries, kMax16));
  Put32(&out, Clamp32(directory_size));
  Put32(&out, Clamp32(directory_offset));
  Put16(&out, 0);  // Comment length.
  return out;
}

}  // namespace zip_internal

// ZipWriter.

ZipWriter::ZipWriter(Sink* out) : out_(out) {}

ZipWriter::~ZipWriter() {
  if (stream_ != nullptr) deflateEnd(stream_.get());
}

absl::Status ZipWriter::Fail(absl::Status status) {
  state_ = State::kFailed;
  failure_ = status;
  return status;
}

absl::Status ZipWriter::Emit(absl::string_view bytes) {
  if (absl::Status status = out_->Write(bytes); !status.ok()) {
    return Fail(std::move(status));
  }
  offset_ += bytes.size();
  return absl::OkStatus();
}

absl::Status ZipWriter::Deflate(int flush) {
  for (;;) {
    stream_->next_out = buffer_.data();
    stream_->avail_out = buffer_.size();
    const int result = deflate(stream_.get(), flush);
    if (result == Z_STREAM_ERROR) {
      return Fail(absl::InternalError(
          absl::StrCat("zlib failed to deflate ", entry_.name)));
    }
    const size_t made = buffer_.size() - stream_->avail_out;
    entry_.compressed_size += made;
    FR_RETURN_IF_ERROR(Emit(absl::string_view(
        reinterpret_cast<const char*>(buffer_.data()), made)));
    // Without Z_FINISH, zlib has taken all the input once it leaves room in
    // the output; with it, it says when the stream has ended.
    if (flush == Z_FINISH ? result == Z_STREAM_END : stream_->avail_out != 0) {
      return absl::OkStatus();
    }
  }
}

absl::Status ZipWriter::BeginEntry(const std::string& name) {
  switch (state_) {
    case State::kFailed:
      return failure_;
    case State::kInEntry:
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot begin ", name, " in the zip: ", entry_.name, " is open"));
    case State::kFinished:
      return absl::FailedPreconditionError(
          absl::StrCat("cannot begin ", name, ": the zip is finished"));
    case State::kBetweenEntries:
      break;
  }
  if (name.empty() || name.size() > kMax16) {
    return absl::InvalidArgumentError(
        "a zip entry's name must be 1 to 65535 bytes");
  }
  if (names_.contains(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the zip already holds ", name));
  }
  // One deflate state serves every entry, reset between them: zlib's state
  // is about 256 KiB, and is the bulk of what the writer holds.
  if (stream_ == nullptr) {
    auto stream = std::make_unique<z_stream_s>();
    if (deflateInit2(stream.get(), kDeflateLevel, Z_DEFLATED, -MAX_WBITS,
                     kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
      return absl::ResourceExhaustedError("zlib cannot start a deflate stream");
    }
    stream_ = std::move(stream);
    buffer_.resize(kBufferSize);
  } else if (deflateReset(stream_.get()) != Z_OK) {
    return Fail(absl::InternalError("zlib cannot reset its deflate stream"));
  }
  names_.insert(name);
  entry_ = zip_internal::EntryRecord{
      .name = name,
      .crc32 = static_cast<uint32_t>(crc32(0L, Z_NULL, 0)),
      .local_header_offset = offset_};
  FR_RETURN_IF_ERROR(Emit(zip_internal::LocalFileHeader(name)));
  state_ = State::kInEntry;
  return absl::OkStatus();
}

absl::Status ZipWriter::Write(absl::string_view bytes) {
  if (state_ == State::kFailed) return failure_;
  if (state_ != State::kInEntry) {
    return absl::FailedPreconditionError("no zip entry is open to write into");
  }
  entry_.crc32 = crc32_z(
      entry_.crc32, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size());
  entry_.uncompressed_size += bytes.size();
  // zlib counts its input in an unsigned int.
  while (!bytes.empty()) {
    const size_t chunk = std::min<size_t>(bytes.size(), UINT_MAX);
    stream_->next_in =
        reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream_->avail_in = chunk;
    FR_RETURN_IF_ERROR(Deflate(Z_NO_FLUSH));
    bytes.remove_prefix(chunk);
  }
  return absl::OkStatus();
}

absl::Status ZipWriter::EndEntry() {
  if (state_ == State::kFailed) return failure_;
  if (state_ != State::kInEntry) {
    return absl::FailedPreconditionError("no zip entry is open to end");
  }
  stream_->next_in = Z_NULL;
  stream_->avail_in = 0;
  FR_RETURN_IF_ERROR(Deflate(Z_FINISH));
  FR_RETURN_IF_ERROR(Emit(zip_internal::DataDescriptor(entry_)));
  directory_.push_back(std::move(entry_));
  entry_ = {};
  state_ = State::kBetweenEntries;
  return absl::OkStatus();
}

absl::Status ZipWriter::Finish() {
  switch (state_) {
    case State::kFailed:
      return failure_;
    case State::kInEntry:
      return absl::FailedPreconditionError(
          absl::StrCat("cannot finish the zip: ", entry_.name, " is open"));
    case State::kFinished:
      return absl::FailedPreconditionError("the zip is already finished");
    case State::kBetweenEntries:
      break;
  }
  const uint64_t directory_offset = offset_;
  // The headers go out in batches of about the deflate buffer's size rather
  // than one Write each.
  std::string batch;
  for (const zip_internal::EntryRecord& entry : directory_) {
    batch.append(zip_internal::CentralDirectoryHeader(entry));
    if (batch.size() >= kBufferSize) {
      FR_RETURN_IF_ERROR(Emit(batch));
      batch.clear();
    }
  }
  FR_RETURN_IF_ERROR(Emit(batch));
  FR_RETURN_IF_ERROR(Emit(zip_internal::EndOfCentralDirectory(
      directory_.size(), directory_offset, offset_ - directory_offset)));
  state_ = State::kFinished;
  directory_ = {};
  names_ = {};
  if (stream_ != nullptr) {
    deflateEnd(stream_.get());
    stream_.reset();
  }
  buffer_ = {};
  return absl::OkStatus();
}

// ZipFileSet.

// One file of the set and where its bytes go now.
class ZipFileSet::File : public Sink {
 public:
  enum class State {
    kStreaming,      // Open; writes go into the zip's open entry.
    kSpilling,       // Open; writes go to `spill`.
    kSpilledClosed,  // Closed; waits in `spill` to be copied into the zip.
    kDone,           // In the zip.
  };

  File(ZipFileSet* set, std::string name) : name(std::move(name)), set_(set) {}
  ~File() override {
    if (spill != nullptr) std::fclose(spill);
  }

  absl::Status Write(absl::string_view bytes) override {
    switch (state) {
      case State::kStreaming:
        return set_->zip_.Write(bytes);
      case State::kSpilling:
        if (!bytes.empty() &&
            std::fwrite(bytes.data(), 1, bytes.size(), spill) != bytes.size()) {
          return absl::UnavailableError(
              absl::StrCat("cannot write the temporary file of ", name, ": ",
                           ErrnoText(errno)));
        }
        return absl::OkStatus();
      default:
        return absl::FailedPreconditionError(absl::StrCat(name, " is closed"));
    }
  }

  bool open() const {
    return state == State::kStreaming || state == State::kSpilling;
  }

  const std::string name;
  State state = State::kStreaming;
  std::FILE* spill = nullptr;  // While spilling and spilled.

 private:
  ZipFileSet* const set_;
};

ZipFileSet::ZipFileSet(Sink* out) : zip_(out) {}

ZipFileSet::~ZipFileSet() = default;

absl::StatusOr<Sink*> ZipFileSet::Open(const std::string& name) {
  for (const std::unique_ptr<File>& file : files_) {
    if (file->name == name) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " was already opened in the zip"));
    }
  }
  auto file = std::make_unique<File>(this, name);
  if (streaming_ == nullptr) {
    FR_RETURN_IF_ERROR(zip_.BeginEntry(name));
    file->state = File::State::kStreaming;
    streaming_ = file.get();
  } else {
    file->spill = std::tmpfile();
    if (file->spill == nullptr) {
      return absl::InternalError(absl::StrCat(
          "cannot make a temporary file for ", name, ": ", ErrnoText(errno)));
    }
    file->state = File::State::kSpilling;
  }
  files_.push_back(std::move(file));
  return files_.back().get();
}

absl::Status ZipFileSet::Close(const std::string& name) {
  for (const std::unique_ptr<File>& file : files_) {
    if (file->name == name && file->open()) return CloseFile(*file);
  }
  return absl::NotFoundError(absl::StrCat(name, " is not open in the zip"));
}

absl::Status ZipFileSet::CloseFile(File& file) {
  if (file.state == File::State::kSpilling) {
    file.state = File::State::kSpilledClosed;
    closed_spills_.push_back(&file);
    return absl::OkStatus();
  }
  file.state = File::State::kDone;
  streaming_ = nullptr;
  FR_RETURN_IF_ERROR(zip_.EndEntry());
  return AfterStreamingClosed();
}

absl::Status ZipFileSet::CopySpill(File& file) {
  if (std::fseek(file.spill, 0, SEEK_SET) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot read back the temporary file of ", file.name, ": ",
                     ErrnoText(errno)));
  }
  std::vector<char> buffer(kBufferSize);
  for (;;) {
    const size_t got = std::fread(buffer.data(), 1, buffer.size(), file.spill);
    if (got > 0) {
      FR_RETURN_IF_ERROR(zip_.Write(absl::string_view(buffer.data(), got)));
    }
    if (got < buffer.size()) break;
  }
  if (std::ferror(file.spill)) {
    return absl::UnavailableError(
        absl::StrCat("cannot read back the temporary file of ", file.name, ": ",
                     ErrnoText(errno)));
  }
  // std::tmpfile's file is removed when closed.
  std::fclose(file.spill);
  file.spill = nullptr;
  return absl::OkStatus();
}

absl::Status ZipFileSet::AfterStreamingClosed() {
  // Taken out first: on an error the rest stay with their files, whose
  // destructors close them.
  std::vector<File*> closed = std::move(closed_spills_);
  closed_spills_.clear();
  for (File* file : closed) {
    FR_RETURN_IF_ERROR(zip_.BeginEntry(file->name));
    FR_RETURN_IF_ERROR(CopySpill(*file));
    FR_RETURN_IF_ERROR(zip_.EndEntry());
    file->state = File::State::kDone;
  }
  // The earliest opened file still open streams from here on, which keeps
  // the streaming file the earliest opened of those open.
  for (const std::unique_ptr<File>& file : files_) {
    if (file->state != File::State::kSpilling) continue;
    FR_RETURN_IF_ERROR(zip_.BeginEntry(file->name));
    FR_RETURN_IF_ERROR(CopySpill(*file));
    file->state = File::State::kStreaming;
    streaming_ = file.get();
    break;
  }
  return absl::OkStatus();
}

absl::Status ZipFileSet::Finish() {
  // The streaming file is the earliest opened of the open ones, so closing
  // them in opening order always closes the streaming one, and the copies
  // follow.
  for (const std::unique_ptr<File>& file : files_) {
    if (file->open()) FR_RETURN_IF_ERROR(CloseFile(*file));
  }
  return zip_.Finish();
}

// DirectoryFileSet.

class DirectoryFileSet::File : public Sink {
 public:
  File(std::string name, std::filesystem::path path)
      : name(std::move(name)),
        path(std::move(path)),
        temporary(this->path.string() + ".tmp") {}
  ~File() override {
    // Never closed: the export failed or stopped, and half a file is not
    // left behind.
    if (file != nullptr) {
      std::fclose(file);
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
    }
  }

  absl::Status Write(absl::string_view bytes) override {
    if (file == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(path.string(), " is closed"));
    }
    if (!bytes.empty() &&
        std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot write ", temporary.string(), ": ", ErrnoText(errno)));
    }
    return absl::OkStatus();
  }

  const std::string name;
  const std::filesystem::path path;
  const std::filesystem::path temporary;
  std::FILE* file = nullptr;  // Open while the file is.
};

DirectoryFileSet::DirectoryFileSet(std::filesystem::path directory)
    : directory_(std::move(directory)) {}

DirectoryFileSet::~DirectoryFileSet() = default;

absl::StatusOr<Sink*> DirectoryFileSet::Open(const std::string& name) {
  if (name.empty() || name == "." || name == ".." ||
      name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name, "\" is not a file name"));
  }
  for (const std::unique_ptr<File>& file : files_) {
    if (file->name == name) {
      return absl::InvalidArgumentError(absl::StrCat(
          file->path.string(), " was already opened in this export"));
    }
  }
  if (!directory_made_) {
    std::error_code error;
    std::filesystem::create_directories(directory_, error);
    std::error_code ignored;
    if (!error && !std::filesystem::is_directory(directory_, ignored)) {
      error = std::make_error_code(std::errc::not_a_directory);
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot make the directory ",
                                                 directory_.string(), ": ",
                                                 error.message()));
    }
    directory_made_ = true;
  }
  auto file = std::make_unique<File>(name, directory_ / name);
  file->file = std::fopen(file->temporary.c_str(), "wb");
  if (file->file == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot create ", file->temporary.string(), ": ", ErrnoText(errno)));
  }
  files_.push_back(std::move(file));
  return files_.back().get();
}

absl::Status DirectoryFileSet::Close(const std::string& name) {
  for (const std::unique_ptr<File>& file : files_) {
    if (file->name == name && file->file != nullptr) return CloseFile(*file);
  }
  return absl::NotFoundError(absl::StrCat((directory_ / name).string(),
                                          " is not open in this export"));
}

absl::Status DirectoryFileSet::CloseFile(File& file) {
  // fclose flushes stdio's buffer, so a full disk may show only here.
  const int closed = std::fclose(file.file);
  const int close_error = errno;
  file.file = nullptr;
  std::error_code error;
  if (closed != 0) {
    std::filesystem::remove(file.temporary, error);
    return absl::UnavailableError(absl::StrCat("cannot write ",
                                               file.temporary.string(), ": ",
                                               ErrnoText(close_error)));
  }
  std::filesystem::rename(file.temporary, file.path, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", file.temporary.string(), " to ",
                     file.path.string(), ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status DirectoryFileSet::Finish() {
  for (const std::unique_ptr<File>& file : files_) {
    if (file->file != nullptr) FR_RETURN_IF_ERROR(CloseFile(*file));
  }
  return absl::OkStatus();
}

}  // namespace forum_registry::exports
