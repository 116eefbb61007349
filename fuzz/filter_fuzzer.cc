// The List filter (AIP-160 subset) of every kind and its SQL compiler.
// Input: a byte choosing the kind, then the filter text.
// Properties: parsing is deterministic (the same canonical form twice);
// errors name the field `filter` and stay short; a filter that parses
// compiles to SQL, and the SQL uses exactly its parameters ($1..$n), the
// client's values never being spliced in.

#include <cstdint>
#include <regex>
#include <set>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "src/domain/filter.h"
#include "src/domain/resource_registry.h"
#include "src/store/filter_sql.h"
#include "src/store/kinds.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* const kKinds = [] {
    auto* kinds = new std::vector<fr::store::ResourceKind>;
    for (const fr::domain::ResourceType& type : fr::domain::Resources()) {
      kinds->push_back(fr::store::KindOf(type));
    }
    return kinds;
  }();
  if (size < 1) return 0;
  const size_t which = data[0] % kKinds->size();
  const fr::domain::ResourceType& type = fr::domain::Resources()[which];
  const std::string text = fr::fuzz::Text(data + 1, size - 1);

  const auto parsed = fr::domain::filter::Parse(text, type.schema);
  if (!parsed.ok()) {
    const std::string message(parsed.status().message());
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument)
        << parsed.status();
    FUZZ_CHECK(message.rfind("filter: ", 0) == 0) << message;
    FUZZ_CHECK(message.size() < 2000) << message.size() << " bytes";
    return 0;
  }
  const auto again = fr::domain::filter::Parse(text, type.schema);
  FUZZ_CHECK(again.ok() && fr::domain::filter::Canonical(*again) ==
                               fr::domain::filter::Canonical(*parsed))
      << "parsing is not deterministic";
  if (!parsed->has_value()) return 0;

  std::vector<std::string> params = {"the parent"};  // as a List puts it
  const auto sql =
      fr::store::FilterToSql(**parsed, (*kKinds)[which].columns, &params);
  FUZZ_CHECK(sql.ok()) << "a filter that parses must compile: " << sql.status();
  std::set<size_t> used;
  static const std::regex kPlaceholder("\\$([0-9]+)");
  for (auto it = std::sregex_iterator(sql->begin(), sql->end(), kPlaceholder);
       it != std::sregex_iterator(); ++it) {
    used.insert(std::stoul((*it)[1].str()));
  }
  for (size_t n : used) {
    FUZZ_CHECK(n >= 2 && n <= params.size())
        << "$" << n << " of " << params.size() << " parameters in " << *sql;
  }
  for (size_t n = 2; n <= params.size(); ++n) {
    FUZZ_CHECK(used.count(n)) << "parameter $" << n << " unused in " << *sql;
  }
  // No statement break reaches the SQL: a client's values travel only as
  // parameters, so the SQL holds no semicolon.
  FUZZ_CHECK(sql->find(';') == std::string::npos) << *sql;
  return 0;
}
