#ifndef FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_
#define FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_

// What makes a Forum or a Participant valid, before the database is asked.
//
// These rules need no I/O. Rules that need other records (a parent that
// exists, no cycle of parents) are the database's, so they hold for every
// writer; see migrations/.
//
// `field` is the path of the resource in the request ("forum"), so errors read
// "forum.display_name: is required".

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/participant.pb.h"

namespace forum_registry::domain {

absl::Status ValidateForum(const forumregistry::v1::Forum& forum,
                           absl::string_view field);

// Fills defaults a client may leave out: an unspecified status is ACTIVE.
void NormalizeForum(forumregistry::v1::Forum* forum);

absl::Status ValidateParticipant(
    const forumregistry::v1::Participant& participant, absl::string_view field);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_
