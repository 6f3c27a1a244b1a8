// The umbrella header: includes the whole public API.
#ifndef JITGUARD_JITGUARD_H_
#define JITGUARD_JITGUARD_H_

#include "jitguard/approval.h"
#include "jitguard/audit.h"
#include "jitguard/export.h"
#include "jitguard/grant.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/policy.h"
#include "jitguard/replay.h"
#include "jitguard/secret.h"
#include "jitguard/status.h"
#include "jitguard/token.h"
#include "jitguard/version.h"

#endif  // JITGUARD_JITGUARD_H_
