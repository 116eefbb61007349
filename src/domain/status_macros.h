#ifndef FORUM_REGISTRY_DOMAIN_STATUS_MACROS_H_
#define FORUM_REGISTRY_DOMAIN_STATUS_MACROS_H_

// Early return on a failed absl::Status, as in Abseil's own internal macros,
// which are not public in the Abseil version Debian 12 ships.

#define FR_STATUS_CONCAT_INNER(a, b) a##b
#define FR_STATUS_CONCAT(a, b) FR_STATUS_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the caller if not OK.
#define FR_RETURN_IF_ERROR(expr)                                \
  do {                                                          \
    if (::absl::Status fr_status_ = (expr); !fr_status_.ok()) { \
      return fr_status_;                                        \
    }                                                           \
  } while (0)

// `FR_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` declares x from the value or
// returns the error.
#define FR_ASSIGN_OR_RETURN(lhs, expr) \
  FR_ASSIGN_OR_RETURN_IMPL(FR_STATUS_CONCAT(fr_statusor_, __LINE__), lhs, expr)
#define FR_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                             \
  if (!statusor.ok()) return statusor.status();       \
  lhs = std::move(statusor).value()

#endif  // FORUM_REGISTRY_DOMAIN_STATUS_MACROS_H_
