#include "src/domain/order_by.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace forum_registry::domain {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

const std::vector<std::string> kSessionKeys = {
    "start_date", "ordinal", "display_name", "create_time", "update_time"};

OrderBy Parsed(absl::string_view text) {
  absl::StatusOr<OrderBy> order = ParseOrderBy(text, kSessionKeys);
  EXPECT_TRUE(order.ok()) << text << ": " << order.status();
  return order.ok() ? *order : OrderBy{};
}

std::string ErrorOf(absl::string_view text) {
  absl::StatusOr<OrderBy> order = ParseOrderBy(text, kSessionKeys);
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument)
      << "\"" << text << "\" was accepted";
  return std::string(order.status().message());
}

TEST(ParseOrderBy, EmptyAndNameAreNameOrder) {
  for (const char* text : {"", "   ", "name", " name ", "name asc"}) {
    const OrderBy order = Parsed(text);
    EXPECT_THAT(order.keys, IsEmpty()) << text;
    EXPECT_FALSE(order.name_descending) << text;
    EXPECT_EQ(order.Canonical(), "") << text;
  }
  // Field names are spelled as the allow-list spells them.
  EXPECT_THAT(ErrorOf("NAME"),
              StartsWith("order_by: \"NAME\" cannot be ordered by"));
}

TEST(ParseOrderBy, NameDescendingReversesTheTiebreak) {
  OrderBy order = Parsed("name desc");
  EXPECT_THAT(order.keys, IsEmpty());
  EXPECT_TRUE(order.name_descending);
  EXPECT_EQ(order.Canonical(), "name desc");
  order = Parsed("start_date, name DESC");
  EXPECT_THAT(order.keys, ElementsAre(OrderKey{"start_date", false}));
  EXPECT_TRUE(order.name_descending);
  EXPECT_EQ(order.Canonical(), "start_date, name desc");
}

TEST(ParseOrderBy, OneKeyWithEitherDirection) {
  EXPECT_THAT(Parsed("start_date").keys,
              ElementsAre(OrderKey{"start_date", false}));
  EXPECT_THAT(Parsed("start_date asc").keys,
              ElementsAre(OrderKey{"start_date", false}));
  EXPECT_THAT(Parsed("start_date desc").keys,
              ElementsAre(OrderKey{"start_date", true}));
  EXPECT_THAT(Parsed("start_date DESC").keys,
              ElementsAre(OrderKey{"start_date", true}));
}

TEST(ParseOrderBy, SeveralKeysInTheirOrderWithMixedDirections) {
  const OrderBy order = Parsed("start_date desc, display_name");
  EXPECT_THAT(order.keys, ElementsAre(OrderKey{"start_date", true},
                                      OrderKey{"display_name", false}));
  EXPECT_FALSE(order.name_descending);
  EXPECT_THAT(
      Parsed("ordinal desc,start_date,  display_name desc ,update_time").keys,
      ElementsAre(OrderKey{"ordinal", true}, OrderKey{"start_date", false},
                  OrderKey{"display_name", true},
                  OrderKey{"update_time", false}));
  // Every allowed key at once.
  EXPECT_EQ(Parsed("update_time, create_time desc, display_name, ordinal, "
                   "start_date desc, name")
                .keys.size(),
            5u);
  // Tabs and newlines are whitespace too.
  EXPECT_THAT(
      Parsed("start_date\tdesc,\nordinal").keys,
      ElementsAre(OrderKey{"start_date", true}, OrderKey{"ordinal", false}));
}

TEST(ParseOrderBy, CanonicalFormIsTheSameForOrderingsThatSortAlike) {
  EXPECT_EQ(Parsed("start_date").Canonical(), "start_date");
  EXPECT_EQ(Parsed(" start_date ASC , name ").Canonical(), "start_date");
  EXPECT_EQ(Parsed("start_date desc").Canonical(), "start_date desc");
  EXPECT_EQ(Parsed("start_date DESC,display_name asc").Canonical(),
            "start_date desc, display_name");
  EXPECT_NE(Parsed("start_date, display_name").Canonical(),
            Parsed("display_name, start_date").Canonical());
  EXPECT_NE(Parsed("start_date, display_name").Canonical(),
            Parsed("start_date, display_name desc").Canonical());
}

TEST(ParseOrderBy, UnknownKeyIsRefusedNamingItAndTheKeysAllowed) {
  for (const char* text :
       {"venue.city", "start_date, venue.city", "start_date desc, Ordinal"}) {
    SCOPED_TRACE(text);
    const std::string error = ErrorOf(text);
    EXPECT_THAT(error, StartsWith("order_by: \""));
    EXPECT_THAT(error, HasSubstr("cannot be ordered by"));
    EXPECT_THAT(error, HasSubstr("name, start_date, ordinal, display_name, "
                                 "create_time, update_time"));
  }
  EXPECT_THAT(ErrorOf("start_date, venue.city"),
              StartsWith("order_by: \"venue.city\" cannot be ordered by"));
}

TEST(ParseOrderBy, RepeatedKeyIsRefusedNamingIt) {
  EXPECT_THAT(ErrorOf("start_date, start_date"),
              StartsWith("order_by: \"start_date\" is repeated; each key may "
                         "appear once"));
  // In another direction it is still the same key.
  EXPECT_THAT(ErrorOf("ordinal desc, start_date, ordinal"),
              StartsWith("order_by: \"ordinal\" is repeated"));
  EXPECT_THAT(ErrorOf("name, name desc"),
              StartsWith("order_by: \"name\" is repeated"));
}

TEST(ParseOrderBy, NameMustBeTheLastKey) {
  EXPECT_THAT(ErrorOf("name, start_date"),
              AllOf(StartsWith("order_by: \"start_date\" follows name"),
                    HasSubstr("must be the last key")));
  EXPECT_THAT(ErrorOf("ordinal, name desc, start_date desc"),
              StartsWith("order_by: \"start_date\" follows name"));
}

TEST(ParseOrderBy, MalformedKeysAreRefusedNamingThem) {
  EXPECT_THAT(ErrorOf("start_date sideways"),
              StartsWith("order_by: \"sideways\" after \"start_date\" is not "
                         "asc or desc"));
  EXPECT_THAT(ErrorOf("start_date desc nulls"),
              StartsWith("order_by: cannot read \"start_date desc nulls\""));
  EXPECT_THAT(ErrorOf("start_date; DROP TABLE sessions"),
              StartsWith("order_by: cannot read"));
  EXPECT_THAT(ErrorOf("display_name COLLATE \"C\""),
              StartsWith("order_by: cannot read"));
  EXPECT_THAT(ErrorOf("start_date,"), StartsWith("order_by: key 2 is empty"));
  EXPECT_THAT(ErrorOf(", start_date"), StartsWith("order_by: key 1 is empty"));
  EXPECT_THAT(ErrorOf("start_date,,ordinal"),
              StartsWith("order_by: key 2 is empty"));
}

TEST(ParseOrderBy, HugeInputGivesAShortError) {
  for (const std::string& text :
       {std::string(4000000, 'z'),
        absl::StrCat("start_date ", std::string(4000000, 'z')),
        std::string(2000000, ',')}) {
    const std::string error = ErrorOf(text);
    EXPECT_THAT(error, StartsWith("order_by: "));
    EXPECT_LT(error.size(), 500u);
  }
  // A million repeats stop at the first.
  std::string repeats = "ordinal";
  for (int i = 0; i < 1000000; ++i) repeats += ",ordinal";
  EXPECT_THAT(ErrorOf(repeats),
              StartsWith("order_by: \"ordinal\" is repeated"));
}

TEST(ParseOrderBy, AKindWithoutKeysOrdersByNameOnly) {
  EXPECT_TRUE(ParseOrderBy("name desc", {}).ok());
  const absl::StatusOr<OrderBy> order = ParseOrderBy("start_date", {});
  EXPECT_THAT(std::string(order.status().message()),
              HasSubstr("from: name, each optionally"));
}

}  // namespace
}  // namespace forum_registry::domain
