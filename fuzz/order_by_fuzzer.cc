// order_by of every kind. Properties: a parsed order names only fields the
// kind allows, each once, and its canonical form parses to the same order;
// errors name `order_by` and stay short however long the input.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz/fuzz_check.h"
#include "src/domain/order_by.h"
#include "src/domain/resource_registry.h"

namespace fr = forum_registry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& type =
      fr::domain::Resources()[data[0] % fr::domain::Resources().size()];
  const std::string text = fr::fuzz::Text(data + 1, size - 1);
  const auto order = fr::domain::ParseOrderBy(text, type.order_by);
  if (!order.ok()) {
    const std::string message(order.status().message());
    FUZZ_CHECK(message.rfind("order_by: ", 0) == 0) << message;
    FUZZ_CHECK(message.size() < 1000) << message.size() << " bytes";
    return 0;
  }
  std::set<std::string> seen;
  for (const fr::domain::OrderKey& key : order->keys) {
    FUZZ_CHECK(std::find(type.order_by.begin(), type.order_by.end(),
                         key.field) != type.order_by.end())
        << key.field;
    FUZZ_CHECK(seen.insert(key.field).second) << key.field << " twice";
  }
  // The canonical form reads back as the same ordering.
  const auto again =
      fr::domain::ParseOrderBy(order->Canonical(), type.order_by);
  FUZZ_CHECK(again.ok()) << order->Canonical();
  FUZZ_CHECK(again->keys == order->keys &&
             again->name_descending == order->name_descending)
      << order->Canonical();
  return 0;
}
