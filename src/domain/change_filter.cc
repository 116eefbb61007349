#include "src/domain/change_filter.h"

#include "forumregistry/v1/change.pb.h"

namespace forum_registry::domain {

const filter::Schema& ChangeFilterSchema() {
  using filter::FieldType;
  static const filter::Schema* const kSchema = new filter::Schema{
      {.name = "resource", .type = FieldType::kReference},
      {.name = "collection", .type = FieldType::kString},
      {.name = "operation",
       .type = FieldType::kEnum,
       .enum_type = forumregistry::v1::ChangeOperation_descriptor()},
      {.name = "revision", .type = FieldType::kInteger},
      {.name = "change_time", .type = FieldType::kDate},
  };
  return *kSchema;
}

}  // namespace forum_registry::domain
