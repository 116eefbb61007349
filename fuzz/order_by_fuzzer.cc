// order_by of every kind. Properties: a parsed order names a field the kind
// allows (or none, for name); errors name `order_by` and stay short however
// long the input.

#include <algorithm>
#include <cstdint>

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
  FUZZ_CHECK(order->field.empty() ||
             std::find(type.order_by.begin(), type.order_by.end(),
                       order->field) != type.order_by.end())
      << order->field;
  return 0;
}
