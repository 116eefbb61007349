#ifndef FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_
#define FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_

// What makes a record (a Forum, a Participant, a Session, ...) valid, before
// the database is asked.
//
// These rules need no I/O. Rules that need other records (a parent that
// exists, no cycle of parents) are the database's, so they hold for every
// writer; see migrations/.
//
// `field` is the path of the resource in the request ("forum"), so errors read
// "forum.display_name: is required".
//
// Rules that compare a record with its own name (a forum is not its own
// parent, a session not its own parent session) apply only when the name is
// set; the handler checks the name itself.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "forumregistry/v1/action_plan.pb.h"
#include "forumregistry/v1/chairmanship.pb.h"
#include "forumregistry/v1/forum.pb.h"
#include "forumregistry/v1/membership.pb.h"
#include "forumregistry/v1/participant.pb.h"
#include "forumregistry/v1/session.pb.h"
#include "forumregistry/v1/source.pb.h"
#include "forumregistry/v1/statement.pb.h"

namespace forum_registry::domain {

absl::Status ValidateForum(const forumregistry::v1::Forum& forum,
                           absl::string_view field);

// Fills defaults a client may leave out: an unspecified status is ACTIVE.
void NormalizeForum(forumregistry::v1::Forum* forum);

// Fills defaults a client may leave out: an unspecified kind is MEETING, an
// unspecified status HELD and an unspecified participant role PARTICIPANT.
void NormalizeSession(forumregistry::v1::Session* session);

// Fills defaults a client may leave out: an unspecified status is CURRENT.
void NormalizeChairmanship(forumregistry::v1::Chairmanship* chairmanship);

absl::Status ValidateParticipant(
    const forumregistry::v1::Participant& participant, absl::string_view field);

// The member is a participant or another forum, never the membership's own
// forum (the parent in its name `forums/{forum}/memberships/{membership}`).
absl::Status ValidateMembership(const forumregistry::v1::Membership& membership,
                                absl::string_view field);

// `continues` names a chairmanship of the same forum as the record's own name,
// and not the record itself.
absl::Status ValidateChairmanship(
    const forumregistry::v1::Chairmanship& chairmanship,
    absl::string_view field);

// `end_date` must not end before `start_date` begins; no participant is listed
// twice.
absl::Status ValidateSession(const forumregistry::v1::Session& session,
                             absl::string_view field);

absl::Status ValidateActionPlan(
    const forumregistry::v1::ActionPlan& action_plan, absl::string_view field);

absl::Status ValidateStatement(const forumregistry::v1::Statement& statement,
                               absl::string_view field);

// `uri`, when set, is http:// or https://; figures of `facts` are finite.
absl::Status ValidateSource(const forumregistry::v1::Source& source,
                            absl::string_view field);

}  // namespace forum_registry::domain

#endif  // FORUM_REGISTRY_DOMAIN_RESOURCE_RULES_H_
