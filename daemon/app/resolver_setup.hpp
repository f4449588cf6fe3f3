#pragma once
// Turns the configuration's dns section into resolver settings, falling back to the system's
// resolvers when the configuration names none.

#include "config/config.hpp"
#include "core/result.hpp"
#include "dns/async_resolver.hpp"

namespace dkimwatch {

Result<ResolverSettings> resolver_settings_for(const DnsSettings& dns);

} // namespace dkimwatch
