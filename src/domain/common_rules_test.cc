// Unit tests of the rules every kind of record shares (resource_rules.cc and
// validation.h): its description, its names, its external ids, its
// citations, and the values of its enum fields. Each is tested here once,
// for every kind of the registry (domain::Resources()) whose message has the
// field, through the kind's own rules (ResourceType::validate); the
// *_rules_test.cc files test what is each kind's own.
//
// Each refusal is INVALID_ARGUMENT with a message that starts with the
// offending field, under the request field the kind's records come in
// ("forum.description: ...").

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "forumregistry/v1/common.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "src/domain/resource_registry.h"
#include "src/domain/rules_test_support.h"

namespace forum_registry::domain {
namespace {

namespace v1 = ::forumregistry::v1;

using ::forum_registry::domain::rules_test::Cyrillic;
using ::forum_registry::domain::rules_test::ExpectInvalid;
using ::forum_registry::domain::rules_test::MinimalRecord;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

class CommonRules : public ::testing::TestWithParam<const ResourceType*> {
 protected:
  const ResourceType& type() const { return *GetParam(); }

  // The kind's smallest valid record.
  std::unique_ptr<Message> Minimal() const {
    std::unique_ptr<Message> record = MinimalRecord(type().descriptor);
    EXPECT_NE(record, nullptr)
        << type().descriptor->full_name()
        << " has no minimal record in rules_test_support.h";
    return record;
  }

  absl::Status Validate(const Message& record) const {
    return type().validate(record, type().field);
  }

  // "forum.description: ", for the field `path` of the record.
  std::string At(const std::string& path) const {
    return absl::StrCat(type().field, ".", path, ": ");
  }

  // The record's field `name` of `message_type` (null for a scalar),
  // repeated or not as asked; null if the kind has no such field, and then
  // the test is skipped for this kind.
  const FieldDescriptor* FieldOrSkip(
      const std::string& name, const google::protobuf::Descriptor* message_type,
      bool repeated) const {
    const FieldDescriptor* field = type().descriptor->FindFieldByName(name);
    if (field == nullptr || field->is_repeated() != repeated ||
        (message_type != nullptr && field->message_type() != message_type)) {
      return nullptr;
    }
    return field;
  }

  // A new element of the repeated message field `field` of `record`.
  template <typename T>
  static T* Add(Message* record, const FieldDescriptor* field) {
    return static_cast<T*>(record->GetReflection()->AddMessage(record, field));
  }
};

// Declares `var`, the record's field `field_name`, or skips the test for a
// kind without it.
#define FR_FIELD_OR_SKIP(var, field_name, message_type, repeated) \
  const FieldDescriptor* var =                                    \
      FieldOrSkip(field_name, message_type, repeated);            \
  if (var == nullptr) {                                           \
    GTEST_SKIP() << type().descriptor->name() << " has no field " \
                 << field_name;                                   \
  }

// ---------------------------------------------------------------------------
// The record itself: its smallest form is valid, a display name (for the
// kinds that have one) is required, and every message starts with the
// request field the record came in.

TEST_P(CommonRules, AcceptsTheMinimalRecord) {
  const absl::Status status = Validate(*Minimal());
  EXPECT_TRUE(status.ok()) << status;
}

TEST_P(CommonRules, DisplayNameIsRequired) {
  FR_FIELD_OR_SKIP(field, "display_name", nullptr, false);
  std::unique_ptr<Message> record = Minimal();
  record->GetReflection()->ClearField(record.get(), field);
  ExpectInvalid(Validate(*record),
                absl::StrCat(At("display_name"), "is required"));
}

TEST_P(CommonRules, ErrorsStartWithTheFieldGiven) {
  std::unique_ptr<Message> record = Minimal();
  const std::string given = absl::StrCat("request.", type().field);
  if (const FieldDescriptor* display_name =
          type().descriptor->FindFieldByName("display_name")) {
    record->GetReflection()->ClearField(record.get(), display_name);
    ExpectInvalid(type().validate(*record, given),
                  absl::StrCat(given, ".display_name: is required"));
    record = Minimal();
  }
  FR_FIELD_OR_SKIP(description, "description", nullptr, false);
  record->GetReflection()->SetString(record.get(), description,
                                     std::string(10001, 'a'));
  ExpectInvalid(type().validate(*record, given),
                absl::StrCat(given, ".description: "));
}

// ---------------------------------------------------------------------------
// Description: up to 10,000 code points of text, line breaks and tabs but no
// other control characters.

TEST_P(CommonRules, DescriptionIsAtMostTenThousandCharacters) {
  FR_FIELD_OR_SKIP(field, "description", nullptr, false);
  std::unique_ptr<Message> record = Minimal();
  const auto* reflection = record->GetReflection();
  reflection->SetString(record.get(), field, std::string(10000, 'a'));
  EXPECT_TRUE(Validate(*record).ok()) << Validate(*record);
  reflection->SetString(record.get(), field, std::string(10001, 'a'));
  ExpectInvalid(Validate(*record), At("description"));
  // Counted in code points: 10,001 of two bytes each.
  reflection->SetString(record.get(), field, Cyrillic(10001));
  ExpectInvalid(Validate(*record), At("description"));
}

TEST_P(CommonRules, DescriptionAllowsTabAndLineBreaksButNoOtherControl) {
  FR_FIELD_OR_SKIP(field, "description", nullptr, false);
  std::unique_ptr<Message> record = Minimal();
  const auto* reflection = record->GetReflection();
  reflection->SetString(record.get(), field,
                        "line one\nline two\r\n\tindented");
  EXPECT_TRUE(Validate(*record).ok()) << Validate(*record);
  reflection->SetString(record.get(), field, "bell\x07");
  ExpectInvalid(Validate(*record), At("description"));
}

// ---------------------------------------------------------------------------
// Names: text required, at most 500 characters, a BCP 47 language, a known
// kind, a validity that does not end before it starts, at most 100.

TEST_P(CommonRules, NameTextIsRequired) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  {
    std::unique_ptr<Message> record = Minimal();
    Add<v1::Name>(record.get(), field);
    ExpectInvalid(Validate(*record),
                  absl::StrCat(At("names[0].text"), "is required"));
  }
  {
    std::unique_ptr<Message> record = Minimal();
    Add<v1::Name>(record.get(), field)->set_language("en");
    ExpectInvalid(Validate(*record),
                  absl::StrCat(At("names[0].text"), "is required"));
  }
  {
    std::unique_ptr<Message> record = Minimal();
    Add<v1::Name>(record.get(), field)->set_text("ARF");
    Add<v1::Name>(record.get(), field)->set_language("en");
    ExpectInvalid(Validate(*record),
                  absl::StrCat(At("names[1].text"), "is required"));
  }
}

TEST_P(CommonRules, NameTextIsAtMostFiveHundredCharacters) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  v1::Name* name = Add<v1::Name>(record.get(), field);
  name->set_text(std::string(500, 'a'));
  EXPECT_TRUE(Validate(*record).ok()) << Validate(*record);
  name->set_text(std::string(501, 'a'));
  ExpectInvalid(Validate(*record), At("names[0].text"));
}

TEST_P(CommonRules, NameLanguageIsALanguageTag) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  for (const char* tag : {"en", "ru", "zh-Hant", "id-ID", "fil", "es-419"}) {
    std::unique_ptr<Message> record = Minimal();
    v1::Name* name = Add<v1::Name>(record.get(), field);
    name->set_text("ARF");
    name->set_language(tag);
    EXPECT_TRUE(Validate(*record).ok()) << tag << ": " << Validate(*record);
  }
  for (const char* tag :
       {"e", "english", "russian", "en_US", "en-", "1n", "en-toolongtag"}) {
    SCOPED_TRACE(tag);
    std::unique_ptr<Message> record = Minimal();
    v1::Name* name = Add<v1::Name>(record.get(), field);
    name->set_text("ARF");
    name->set_language(tag);
    ExpectInvalid(Validate(*record), At("names[0].language"));
  }
}

TEST_P(CommonRules, NameKindIsAKnownValue) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  v1::Name* name = Add<v1::Name>(record.get(), field);
  name->set_text("ARF");
  name->set_kind(static_cast<v1::NameKind>(42));
  ExpectInvalid(Validate(*record), At("names[0].kind"));
}

TEST_P(CommonRules, NameValidityDoesNotEndBeforeItStarts) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  v1::Name* name = Add<v1::Name>(record.get(), field);
  name->set_text("ARF");
  name->mutable_validity()->mutable_start()->set_year(2000);
  name->mutable_validity()->mutable_end()->set_year(1999);
  ExpectInvalid(Validate(*record), At("names[0].validity.end"));
}

TEST_P(CommonRules, NamesAreAtMostOneHundred) {
  FR_FIELD_OR_SKIP(field, "names", v1::Name::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  for (int i = 0; i < 101; ++i)
    Add<v1::Name>(record.get(), field)->set_text("n");
  ExpectInvalid(Validate(*record), At("names"));
}

// ---------------------------------------------------------------------------
// External ids: a lowercase scheme, a value of at most 200 characters, each
// (scheme, value) once.

TEST_P(CommonRules, ExternalIdSchemeIsLowercaseAndShort) {
  FR_FIELD_OR_SKIP(field, "external_ids", v1::ExternalId::descriptor(), true);
  for (const char* scheme :
       {"", "Wikidata", "1wikidata", "-wikidata", "wiki data", "wiki_data",
        "abcdefghijklmnopqrstuvwxyz1234567", "ISO", "AKN"}) {
    SCOPED_TRACE(scheme);
    std::unique_ptr<Message> record = Minimal();
    v1::ExternalId* id = Add<v1::ExternalId>(record.get(), field);
    id->set_scheme(scheme);
    id->set_value("Q1");
    ExpectInvalid(Validate(*record), At("external_ids[0].scheme"));
  }
}

TEST_P(CommonRules, ExternalIdValueIsRequiredAndAtMostTwoHundredCharacters) {
  FR_FIELD_OR_SKIP(field, "external_ids", v1::ExternalId::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  v1::ExternalId* id = Add<v1::ExternalId>(record.get(), field);
  id->set_scheme("wikidata");
  ExpectInvalid(Validate(*record),
                absl::StrCat(At("external_ids[0].value"), "is required"));
  id->set_scheme("akn");
  id->set_value(std::string(201, 'v'));
  ExpectInvalid(Validate(*record), At("external_ids[0].value"));
}

TEST_P(CommonRules, ExternalIdComesOnceButAValueMayRecurInAnotherScheme) {
  FR_FIELD_OR_SKIP(field, "external_ids", v1::ExternalId::descriptor(), true);
  {
    std::unique_ptr<Message> record = Minimal();
    for (int i = 0; i < 2; ++i) {
      v1::ExternalId* id = Add<v1::ExternalId>(record.get(), field);
      id->set_scheme("wikidata");
      id->set_value("Q1");
    }
    ExpectInvalid(Validate(*record), At("external_ids[1]"));
  }
  {
    std::unique_ptr<Message> record = Minimal();
    for (const char* scheme : {"iso3166-1", "un-symbol"}) {
      v1::ExternalId* id = Add<v1::ExternalId>(record.get(), field);
      id->set_scheme(scheme);
      id->set_value("RU");
    }
    EXPECT_TRUE(Validate(*record).ok()) << Validate(*record);
  }
}

// ---------------------------------------------------------------------------
// Citations: a source that names a source, an excerpt of at most 5,000
// characters, a locator of at most 200.

TEST_P(CommonRules, CitationSourceIsRequiredAndNamesASource) {
  FR_FIELD_OR_SKIP(field, "citations", v1::Citation::descriptor(), true);
  {
    std::unique_ptr<Message> record = Minimal();
    Add<v1::Citation>(record.get(), field)->set_excerpt("quoted");
    ExpectInvalid(Validate(*record),
                  absl::StrCat(At("citations[0].source"), "is required"));
  }
  for (const char* source : {"forums/arf", "forums/asean", "statements/x",
                             "sources/", "sources/Bad"}) {
    SCOPED_TRACE(source);
    std::unique_ptr<Message> record = Minimal();
    Add<v1::Citation>(record.get(), field)->set_source(source);
    ExpectInvalid(Validate(*record), At("citations[0].source"));
  }
}

TEST_P(CommonRules, CitationExcerptAndLocatorAreBounded) {
  FR_FIELD_OR_SKIP(field, "citations", v1::Citation::descriptor(), true);
  std::unique_ptr<Message> record = Minimal();
  v1::Citation* citation = Add<v1::Citation>(record.get(), field);
  citation->set_source("sources/a");
  citation->set_excerpt(Cyrillic(5000));
  EXPECT_TRUE(Validate(*record).ok()) << Validate(*record);
  citation->set_excerpt(Cyrillic(5001));
  ExpectInvalid(Validate(*record), At("citations[0].excerpt"));
  citation->set_excerpt("");
  citation->set_locator(std::string(201, 'l'));
  ExpectInvalid(Validate(*record), At("citations[0].locator"));
}

// ---------------------------------------------------------------------------
// Enums: every enum field of the record refuses a number its enum does not
// name ("kind: is not a known value"), whatever the number.

TEST_P(CommonRules, EveryEnumFieldRefusesAnUnknownValue) {
  int fields = 0;
  for (int i = 0; i < type().descriptor->field_count(); ++i) {
    const FieldDescriptor* field = type().descriptor->field(i);
    if (field->type() != FieldDescriptor::TYPE_ENUM || field->is_repeated()) {
      continue;
    }
    ++fields;
    for (const int number : {-3, -1, 3, 5, 7, 9, 42, 70, 99}) {
      if (field->enum_type()->FindValueByNumber(number) != nullptr) continue;
      SCOPED_TRACE(absl::StrCat(field->name(), " = ", number));
      std::unique_ptr<Message> record = Minimal();
      record->GetReflection()->SetEnumValue(record.get(), field, number);
      ExpectInvalid(Validate(*record),
                    absl::StrCat(At(field->name()), "is not a known value"));
    }
  }
  if (fields == 0) {
    GTEST_SKIP() << type().descriptor->name() << " has no enum field";
  }
}

std::vector<const ResourceType*> AllKinds() {
  std::vector<const ResourceType*> kinds;
  for (const ResourceType& type : Resources()) kinds.push_back(&type);
  return kinds;
}

INSTANTIATE_TEST_SUITE_P(
    Registry, CommonRules, ::testing::ValuesIn(AllKinds()),
    [](const ::testing::TestParamInfo<const ResourceType*>& info) {
      return std::string(info.param->descriptor->name());
    });

}  // namespace
}  // namespace forum_registry::domain
