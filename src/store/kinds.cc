#include "src/store/kinds.h"

namespace forum_registry::store::kinds {
namespace {

// A filter-only column.
Column Filter(std::string sql) { return {std::move(sql), "", ""}; }

// A column order_by also accepts.
Column Sortable(std::string sql, std::string sort_sql, std::string type) {
  return {std::move(sql), std::move(sort_sql), std::move(type)};
}

Column Text(const std::string& field) {
  return Filter("body->>'" + field + "'");
}

// A partial date inside the body, as the range of days it covers.
Column DateIn(const std::string& path) {
  return Sortable("partial_date_range(body#>'{" + path + "}')",
                  "coalesce(lower(partial_date_range(body#>'{" + path +
                      "}')), '-infinity'::date)",
                  "date");
}

// A daterange column.
Column DateColumn(const std::string& column) {
  return Sortable(column, "coalesce(lower(" + column + "), '-infinity'::date)",
                  "date");
}

Column DisplayName() {
  return Sortable("display_name", "display_name", "text");
}

Column Times(const std::string& column) {
  return Sortable(column, column, "timestamptz");
}

// A JSON array of strings in the body.
Column List(const std::string& path) {
  return Filter("coalesce(body#>'{" + path + "}', '[]')");
}

}  // namespace

ResourceKind Participants() {
  return {.table = "participants",
          .singular = "participant",
          .references_table = "participant_references",
          .columns = {{"kind", Filter("kind")},
                      {"display_name", DisplayName()},
                      {"names", Filter("search_names")},
                      {"affiliation", Text("affiliation")},
                      {"create_time", Times("create_time")},
                      {"update_time", Times("update_time")}}};
}

ResourceKind Forums() {
  return {.table = "forums",
          .singular = "forum",
          .references_table = "forum_references",
          .children = {"memberships", "sessions", "chairmanships"},
          .child_parent_column = "forum",
          .child_references = {{"session_references", "session"},
                               {"chairmanship_references", "chairmanship"}},
          .columns = {{"kind", Filter("kind")},
                      {"display_name", DisplayName()},
                      {"names", Filter("search_names")},
                      {"parent", Filter("parent")},
                      {"status", Filter("status")},
                      {"meeting_level", Text("meeting_level")},
                      {"cadence", Text("cadence")},
                      {"founded", DateColumn("founded")},
                      {"dissolved", DateColumn("dissolved")},
                      {"topics", List("topics")},
                      {"initiated_by", List("initiated_by")},
                      {"create_time", Times("create_time")},
                      {"update_time", Times("update_time")}}};
}

ResourceKind Sources() {
  return {.table = "sources",
          .singular = "source",
          .references_table = "source_references",
          .columns = {{"display_name", DisplayName()},
                      {"publisher", Text("publisher")},
                      {"document_number", Text("document_number")},
                      {"language", Text("language")},
                      {"publish_date", DateColumn("publish_date")},
                      {"create_time", Times("create_time")},
                      {"update_time", Times("update_time")}}};
}

ResourceKind Memberships() {
  return {.table = "memberships",
          .singular = "membership",
          .parent_column = "forum",
          .parent_table = "forums",
          .columns = {{"forum", Filter("forum")},
                      {"member", Filter("member")},
                      {"role", Filter("role")},
                      {"active_on", Filter("period")},
                      {"period", DateColumn("period")},
                      {"create_time", Times("create_time")},
                      {"update_time", Times("update_time")}}};
}

ResourceKind Sessions() {
  return {.table = "sessions",
          .singular = "session",
          .references_table = "session_references",
          .parent_column = "forum",
          .parent_table = "forums",
          .columns = {
              {"forum", Filter("forum")},
              {"display_name", DisplayName()},
              {"kind", Text("kind")},
              {"ordinal",
               Sortable("coalesce((body->>'ordinal')::bigint, 0)",
                        "coalesce((body->>'ordinal')::bigint, 0)", "bigint")},
              {"level", Text("level")},
              {"parent_session", Filter("parent_session")},
              {"start_date", DateColumn("start_date")},
              {"end_date", DateColumn("end_date")},
              {"active_on", Filter("days")},
              {"mode", Text("mode")},
              {"status", Text("status")},
              {"venue.city", Filter("body#>>'{venue,city}'")},
              {"venue.country", Filter("body#>>'{venue,country}'")},
              {"participants", Filter("jsonb_path_query_array(body, "
                                      "'$.participants[*].participant')")},
              {"topics", List("topics")},
              {"create_time", Times("create_time")},
              {"update_time", Times("update_time")}}};
}

ResourceKind Chairmanships() {
  return {.table = "chairmanships",
          .singular = "chairmanship",
          .references_table = "chairmanship_references",
          .parent_column = "forum",
          .parent_table = "forums",
          .columns = {{"forum", Filter("forum")},
                      {"chairs", List("chairs")},
                      {"active_on", Filter("term")},
                      {"term", DateColumn("term")},
                      {"status", Text("status")},
                      {"continues", Text("continues")},
                      {"create_time", Times("create_time")},
                      {"update_time", Times("update_time")}}};
}

ResourceKind ActionPlans() {
  return {
      .table = "action_plans",
      .singular = "action plan",
      .references_table = "action_plan_references",
      .columns = {{"display_name", DisplayName()},
                  {"names", Filter("search_names")},
                  {"status", Filter("status")},
                  {"forums", List("forums")},
                  {"parties", List("parties")},
                  {"active_on", Filter("period")},
                  {"period", DateColumn("period")},
                  {"start_date", DateIn("period,start")},
                  {"end_date", DateIn("period,end")},
                  {"adoption.date", DateIn("adoption,date")},
                  {"adoption.session", Filter("body#>>'{adoption,session}'")},
                  {"implements", Text("implements")},
                  {"priority_areas", List("priority_areas")},
                  {"create_time", Times("create_time")},
                  {"update_time", Times("update_time")}}};
}

ResourceKind Statements() {
  return {
      .table = "statements",
      .singular = "statement",
      .columns = {{"display_name", DisplayName()},
                  {"names", Filter("search_names")},
                  {"kind", Filter("kind")},
                  {"status", Filter("status")},
                  {"forum", Text("forum")},
                  {"adoption.date", DateColumn("adoption_date")},
                  {"adoption.session", Filter("body#>>'{adoption,session}'")},
                  {"initiated_by", List("initiated_by")},
                  {"topics", List("topics")},
                  {"create_time", Times("create_time")},
                  {"update_time", Times("update_time")}}};
}

}  // namespace forum_registry::store::kinds
