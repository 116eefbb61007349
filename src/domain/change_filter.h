#ifndef FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_
#define FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_

// The fields a filter of the change feed may name (ListChanges):
//
//   resource = "forums/arf"             one record's history
//   collection = "forums/arf/sessions"  the records of one collection
//   operation = DELETE                  or CREATE, UPDATE
//   revision > 120                      a position in the feed
//   change_time >= "2026-11-01"         when committed, by UTC day
//
// The store says how each is read (src/store/change_log.cc).

#include "src/domain/filter.h"

namespace forum_registry::domain {

const filter::Schema& ChangeFilterSchema();

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_CHANGE_FILTER_H_
