#include "src/export/zip_writer.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::exports {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Python's zipfile reads the archive as a reader that shares nothing with
// the writer: it checks every entry's CRC (testzip), or extracts them into a
// folder (which checks them too), or only lists them. It prints one line per
// entry, name|size|method|flags|date, in one write (PYTHONUNBUFFERED would
// make 65535 prints 65535 writes).
constexpr const char* kPythonCheck =
    "import sys, zipfile\n"
    "z = zipfile.ZipFile(sys.argv[1])\n"
    "mode = sys.argv[2]\n"
    "if mode == 'test': assert z.testzip() is None\n"
    "elif mode != 'list': z.extractall(mode)\n"
    "sys.stdout.write(''.join(\n"
    "    '%s|%d|%d|%d|%04d-%02d-%02d %02d:%02d:%02d\\n' % (\n"
    "        (i.filename, i.file_size, i.compress_type, i.flag_bits) +\n"
    "        i.date_time) for i in z.infolist()))\n";

// A folder of its own under the test's temporary directory, removed at the
// end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path(::testing::TempDir()) / "zipXXXXXX");
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs kPythonCheck on `zip` and returns its lines, or fails the test with
// what Python said. `mode` is "test", "list", or a folder to extract into.
std::vector<std::string> PythonRead(const std::string& zip, const TempDir& dir,
                                    const std::string& mode = "test") {
  const fs::path archive = dir.path() / "archive.zip";
  const fs::path script = dir.path() / "check.py";
  WriteFile(archive, zip);
  WriteFile(script, kPythonCheck);
  const std::string command =
      absl::StrCat("/usr/bin/python3 '", script.string(), "' '",
                   archive.string(), "' '", mode, "' 2>&1");
  std::FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) return {};
  std::string output;
  char buffer[4096];
  while (size_t got = std::fread(buffer, 1, sizeof buffer, pipe)) {
    output.append(buffer, got);
  }
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

// About `size` bytes of CSV rows that deflate neither to nothing nor not at
// all.
std::string VariedText(size_t size) {
  std::string text;
  uint32_t state = 12345;
  const char* words[] = {"forum",   "session", "Jakarta", "ministerial",
                         "ASEAN",   "summit",  "Москва",  "déclaration",
                         "2023-07", "observer"};
  while (text.size() < size) {
    state = state * 1103515245 + 12345;
    absl::StrAppend(&text, words[(state >> 16) % 10], ",", state % 100000,
                    (state >> 8) % 7 == 0 ? "\n" : ";");
  }
  return text;
}

// A zip of `entries` (name, content) written through a ZipWriter, each
// content in pieces of uneven sizes.
std::string Zip(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  StringSink out;
  ZipWriter zip(&out);
  for (const auto& [name, content] : entries) {
    EXPECT_TRUE(zip.BeginEntry(name).ok());
    size_t piece = 1;
    for (size_t at = 0; at < content.size();
         at += piece, piece = piece * 3 + 1) {
      EXPECT_TRUE(zip.Write(absl::string_view(content).substr(at, piece)).ok());
    }
    EXPECT_TRUE(zip.EndEntry().ok());
  }
  EXPECT_TRUE(zip.Finish().ok());
  return out.text();
}

uint64_t Little(absl::string_view bytes, size_t at, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return value;
}

class FailingSink : public Sink {
 public:
  absl::Status Write(absl::string_view) override {
    return absl::UnavailableError("the disk is full");
  }
};

TEST(ZipWriter, WritesAZipThatPythonReads) {
  const std::string big = VariedText(1 << 20);
  const std::string zip = Zip({{"sessions.csv", big},
                               {"empty.csv", ""},
                               {"données/forums.csv", "a,b\n1,2\n"}});
  EXPECT_LT(zip.size(), big.size() / 2) << "deflated";
  TempDir dir;
  EXPECT_THAT(PythonRead(zip, dir, (dir.path() / "out").string()),
              ElementsAre(absl::StrCat("sessions.csv|", big.size(),
                                       "|8|2056|1980-01-01 00:00:00"),
                          "empty.csv|0|8|2056|1980-01-01 00:00:00",
                          "données/forums.csv|8|8|2056|1980-01-01 00:00:00"));
  EXPECT_EQ(ReadFile(dir.path() / "out" / "sessions.csv"), big);
  EXPECT_EQ(ReadFile(dir.path() / "out" / "empty.csv"), "");
  EXPECT_EQ(ReadFile(dir.path() / "out" / "données" / "forums.csv"),
            "a,b\n1,2\n");
}

TEST(ZipWriter, WritesAnEmptyZip) {
  const std::string zip = Zip({});
  EXPECT_EQ(zip.size(), 22u);
  TempDir dir;
  EXPECT_THAT(PythonRead(zip, dir), ElementsAre());
}

TEST(ZipWriter, WritesTheSameBytesForTheSameInput) {
  const std::string text = VariedText(100000);
  EXPECT_EQ(Zip({{"a.csv", text}, {"b.csv", "x"}}),
            Zip({{"a.csv", text}, {"b.csv", "x"}}));
}

TEST(ZipWriter, WritesZip64EndRecordsFor65535Entries) {
  StringSink out;
  ZipWriter zip(&out);
  for (int i = 0; i < 65535; ++i) {
    ASSERT_TRUE(zip.BeginEntry(absl::StrFormat("%05d", i)).ok());
    ASSERT_TRUE(zip.EndEntry().ok());
  }
  ASSERT_TRUE(zip.Finish().ok());
  // The ZIP64 end record (56 bytes) and locator (20) precede the classic
  // end record (22), whose entry count says "see ZIP64".
  const std::string& bytes = out.text();
  ASSERT_GT(bytes.size(), 98u);
  EXPECT_EQ(Little(bytes, bytes.size() - 98, 4), 0x06064b50u);
  EXPECT_EQ(Little(bytes, bytes.size() - 98 + 32, 8), 65535u);
  EXPECT_EQ(Little(bytes, bytes.size() - 22 + 10, 2), 0xFFFFu);
  TempDir dir;
  const std::vector<std::string> lines = PythonRead(bytes, dir, "list");
  ASSERT_EQ(lines.size(), 65535u);
  EXPECT_EQ(lines.back(), "65534|0|8|2056|1980-01-01 00:00:00");
}

TEST(ZipRecords, KeepClassicFieldsBelowFourGibibytes) {
  const zip_internal::EntryRecord entry = {.name = "a.csv",
                                           .crc32 = 0xDEADBEEF,
                                           .compressed_size = 0xFFFFFFFE,
                                           .uncompressed_size = 0xFFFFFFFE,
                                           .local_header_offset = 0xFFFFFFFE};
  EXPECT_EQ(zip_internal::DataDescriptor(entry).size(), 16u);
  const std::string header = zip_internal::CentralDirectoryHeader(entry);
  EXPECT_EQ(header.size(), 46u + 5);
  EXPECT_EQ(Little(header, 6, 2), 20u) << "version needed";
  EXPECT_EQ(Little(header, 30, 2), 0u) << "extra length";
  EXPECT_EQ(Little(header, 42, 4), 0xFFFFFFFEu);
  EXPECT_EQ(zip_internal::EndOfCentralDirectory(65534, 0xFFFFFFFE, 10).size(),
            22u);
}

TEST(ZipRecords, MoveSizesOfFourGibibytesToZip64Fields) {
  const zip_internal::EntryRecord entry = {
      .name = "a.csv",
      .crc32 = 0xDEADBEEF,
      .compressed_size = 0x1000,
      .uncompressed_size = 0x140000000,  // 5 GiB of zeros.
      .local_header_offset = 0x10};
  const std::string descriptor = zip_internal::DataDescriptor(entry);
  ASSERT_EQ(descriptor.size(), 24u);
  EXPECT_EQ(Little(descriptor, 8, 8), 0x1000u) << "compressed first";
  EXPECT_EQ(Little(descriptor, 16, 8), 0x140000000u);

  const std::string header = zip_internal::CentralDirectoryHeader(entry);
  EXPECT_EQ(Little(header, 6, 2), 45u) << "version needed";
  EXPECT_EQ(Little(header, 20, 4), 0x1000u) << "compressed, fits";
  EXPECT_EQ(Little(header, 24, 4), 0xFFFFFFFFu) << "uncompressed: see ZIP64";
  EXPECT_EQ(Little(header, 42, 4), 0x10u) << "offset, fits";
  // The extra field holds only the uncompressed size.
  ASSERT_EQ(Little(header, 30, 2), 12u);
  const size_t extra = 46 + 5;
  EXPECT_EQ(Little(header, extra, 2), 0x0001u);
  EXPECT_EQ(Little(header, extra + 2, 2), 8u);
  EXPECT_EQ(Little(header, extra + 4, 8), 0x140000000u);
}

TEST(ZipRecords, MoveAnOffsetOfFourGibibytesToZip64Fields) {
  const zip_internal::EntryRecord entry = {.name = "b.csv",
                                           .compressed_size = 0x100000000,
                                           .uncompressed_size = 0x200000000,
                                           .local_header_offset = 0x300000000};
  const std::string header = zip_internal::CentralDirectoryHeader(entry);
  EXPECT_EQ(Little(header, 20, 4), 0xFFFFFFFFu);
  EXPECT_EQ(Little(header, 24, 4), 0xFFFFFFFFu);
  EXPECT_EQ(Little(header, 42, 4), 0xFFFFFFFFu);
  // In APPNOTE 4.5.3's order: uncompressed, compressed, offset.
  const size_t extra = 46 + 5;
  ASSERT_EQ(Little(header, extra + 2, 2), 24u);
  EXPECT_EQ(Little(header, extra + 4, 8), 0x200000000u);
  EXPECT_EQ(Little(header, extra + 12, 8), 0x100000000u);
  EXPECT_EQ(Little(header, extra + 20, 8), 0x300000000u);

  const std::string end =
      zip_internal::EndOfCentralDirectory(2, 0x300001000, 100);
  ASSERT_EQ(end.size(), 56u + 20 + 22);
  EXPECT_EQ(Little(end, 0, 4), 0x06064b50u);
  EXPECT_EQ(Little(end, 40, 8), 100u) << "directory size";
  EXPECT_EQ(Little(end, 48, 8), 0x300001000u) << "directory offset";
  EXPECT_EQ(Little(end, 56, 4), 0x07064b50u);
  EXPECT_EQ(Little(end, 64, 8), 0x300001000u + 100) << "ZIP64 end's offset";
  EXPECT_EQ(Little(end, 76 + 10, 2), 2u) << "entries fit";
  EXPECT_EQ(Little(end, 76 + 16, 4), 0xFFFFFFFFu) << "offset: see ZIP64";
}

// Deflates 4.5 GiB, about 40 seconds of a core: run it by hand with
// --gtest_also_run_disabled_tests after changing the ZIP64 code.
TEST(ZipWriter, DISABLED_WritesAnEntryOfMoreThanFourGibibytes) {
  StringSink out;
  ZipWriter zip(&out);
  ASSERT_TRUE(zip.BeginEntry("zeros").ok());
  const std::string block(1 << 20, '\0');
  for (int i = 0; i < 4608; ++i) ASSERT_TRUE(zip.Write(block).ok());
  ASSERT_TRUE(zip.EndEntry().ok());
  ASSERT_TRUE(zip.BeginEntry("after").ok());
  ASSERT_TRUE(zip.Write("x").ok());
  ASSERT_TRUE(zip.EndEntry().ok());
  ASSERT_TRUE(zip.Finish().ok());
  TempDir dir;
  EXPECT_THAT(PythonRead(out.text(), dir),
              ElementsAre("zeros|4831838208|8|2056|1980-01-01 00:00:00",
                          "after|1|8|2056|1980-01-01 00:00:00"));
}

TEST(ZipWriter, RefusesCallsOutOfOrderAndNamesTwice) {
  StringSink out;
  ZipWriter zip(&out);
  EXPECT_EQ(zip.Write("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(zip.EndEntry().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(zip.BeginEntry("").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(zip.BeginEntry("a").ok());
  EXPECT_EQ(zip.BeginEntry("b").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(zip.Finish().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(zip.EndEntry().ok());
  EXPECT_EQ(zip.BeginEntry("a").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(zip.Finish().ok());
  EXPECT_EQ(zip.BeginEntry("c").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ZipWriter, StopsAtTheSinksFirstError) {
  FailingSink out;
  ZipWriter zip(&out);
  EXPECT_EQ(zip.BeginEntry("a").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(zip.Write("x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(zip.Finish().code(), absl::StatusCode::kUnavailable);
}

TEST(ZipFileSet, CopiesAFileWrittenAlongsideAfterTheStreamingOne) {
  StringSink out;
  ZipFileSet files(&out);
  absl::StatusOr<Sink*> a = files.Open("a.csv");
  absl::StatusOr<Sink*> b = files.Open("b.csv");
  ASSERT_TRUE(a.ok() && b.ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE((*a)->Write(absl::StrCat("a", i, "\n")).ok());
    ASSERT_TRUE((*b)->Write(absl::StrCat("b", i, "\n")).ok());
  }
  ASSERT_TRUE(files.Close("b.csv").ok());
  EXPECT_EQ((*b)->Write("late").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*a)->Write("last a\n").ok());
  ASSERT_TRUE(files.Close("a.csv").ok());
  ASSERT_TRUE(files.Finish().ok());

  std::string want_a, want_b;
  for (int i = 0; i < 1000; ++i) {
    absl::StrAppend(&want_a, "a", i, "\n");
    absl::StrAppend(&want_b, "b", i, "\n");
  }
  want_a += "last a\n";
  TempDir dir;
  const std::vector<std::string> lines =
      PythonRead(out.text(), dir, (dir.path() / "out").string());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], testing::StartsWith("a.csv|"));
  EXPECT_THAT(lines[1], testing::StartsWith("b.csv|"));
  EXPECT_EQ(ReadFile(dir.path() / "out" / "a.csv"), want_a);
  EXPECT_EQ(ReadFile(dir.path() / "out" / "b.csv"), want_b);
}

TEST(ZipFileSet, CopiesClosedFilesInClosingOrderThenStreamsTheEarliestOpen) {
  StringSink out;
  ZipFileSet files(&out);
  Sink* a = *files.Open("a.csv");
  Sink* b = *files.Open("b.csv");
  Sink* c = *files.Open("c.csv");
  Sink* d = *files.Open("d.csv");
  ASSERT_TRUE(a->Write("a1\n").ok());
  ASSERT_TRUE(b->Write("b1\n").ok());
  ASSERT_TRUE(c->Write("c1\n").ok());
  ASSERT_TRUE(d->Write("d1\n").ok());
  ASSERT_TRUE(files.Close("d.csv").ok());
  ASSERT_TRUE(files.Close("c.csv").ok());
  // d and c go in after a, in that order; b, still open, then streams.
  ASSERT_TRUE(files.Close("a.csv").ok());
  ASSERT_TRUE(b->Write("b2\n").ok());
  // e opens while b streams, so it spills; Finish closes b, then e.
  Sink* e = *files.Open("e.csv");
  ASSERT_TRUE(e->Write("e1\n").ok());
  ASSERT_TRUE(b->Write("b3\n").ok());
  ASSERT_TRUE(files.Finish().ok());

  TempDir dir;
  const std::vector<std::string> lines =
      PythonRead(out.text(), dir, (dir.path() / "out").string());
  std::vector<std::string> names;
  for (const std::string& line : lines) names.push_back(line.substr(0, 5));
  EXPECT_THAT(names, ElementsAre("a.csv", "d.csv", "c.csv", "b.csv", "e.csv"));
  EXPECT_EQ(ReadFile(dir.path() / "out" / "a.csv"), "a1\n");
  EXPECT_EQ(ReadFile(dir.path() / "out" / "b.csv"), "b1\nb2\nb3\n");
  EXPECT_EQ(ReadFile(dir.path() / "out" / "c.csv"), "c1\n");
  EXPECT_EQ(ReadFile(dir.path() / "out" / "d.csv"), "d1\n");
  EXPECT_EQ(ReadFile(dir.path() / "out" / "e.csv"), "e1\n");
}

TEST(ZipFileSet, RefusesANameTwiceAndClosingWhatIsNotOpen) {
  StringSink out;
  ZipFileSet files(&out);
  ASSERT_TRUE(files.Open("a.csv").ok());
  EXPECT_EQ(files.Open("a.csv").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(files.Close("b.csv").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(files.Close("a.csv").ok());
  EXPECT_EQ(files.Close("a.csv").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(files.Open("a.csv").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DirectoryFileSet, RenamesTheTemporaryFileWhenClosed) {
  TempDir dir;
  const fs::path folder = dir.path() / "export" / "2023";
  DirectoryFileSet files(folder);
  absl::StatusOr<Sink*> forums = files.Open("forums.csv");
  ASSERT_TRUE(forums.ok()) << forums.status();
  ASSERT_TRUE((*forums)->Write("name\nforums/arf\n").ok());
  EXPECT_TRUE(fs::exists(folder / "forums.csv.tmp"));
  EXPECT_FALSE(fs::exists(folder / "forums.csv"));
  ASSERT_TRUE(files.Close("forums.csv").ok());
  EXPECT_FALSE(fs::exists(folder / "forums.csv.tmp"));
  EXPECT_EQ(ReadFile(folder / "forums.csv"), "name\nforums/arf\n");

  // Finish closes what is still open.
  Sink* sessions = *files.Open("sessions.csv");
  ASSERT_TRUE(sessions->Write("name\n").ok());
  ASSERT_TRUE(files.Finish().ok());
  EXPECT_EQ(ReadFile(folder / "sessions.csv"), "name\n");
  EXPECT_EQ(sessions->Write("x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(DirectoryFileSet, LeavesNoTemporaryFileOfAnExportLeftUnfinished) {
  TempDir dir;
  {
    DirectoryFileSet files(dir.path());
    ASSERT_TRUE((*files.Open("forums.csv"))->Write("name\n").ok());
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(DirectoryFileSet, NamesThePathItCannotWrite) {
  TempDir dir;
  // A directory under a regular file cannot be made, not even by root.
  WriteFile(dir.path() / "file", "x");
  const fs::path folder = dir.path() / "file" / "export";
  DirectoryFileSet files(folder);
  const absl::Status status = files.Open("forums.csv").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr(folder.string()));
  EXPECT_THAT(status.message(), HasSubstr("Not a directory"));

  DirectoryFileSet plain_file(dir.path() / "file");
  EXPECT_THAT(plain_file.Open("forums.csv").status().message(),
              HasSubstr((dir.path() / "file").string()));
}

TEST(DirectoryFileSet, RefusesNamesThatAreNotPlainFileNames) {
  TempDir dir;
  DirectoryFileSet files(dir.path());
  for (const char* name : {"", ".", "..", "../forums.csv", "a/b.csv"}) {
    EXPECT_EQ(files.Open(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

}  // namespace
}  // namespace forum_registry::exports
