// Remora's public API, in one include: Runtime and Options, the remoteable
// handles UniquePtr and SharedPtr, Array, Vector and HashMap, declared orders, DerefScope,
// Stats, the exceptions, and the row-gather service (GatherServer, GatherClient).
#pragma once

#include "remora/array.hpp"
#include "remora/array_view.hpp"
#include "remora/blob_store.hpp"
#include "remora/deref_scope.hpp"
#include "remora/errors.hpp"
#include "remora/gather_service.hpp"
#include "remora/hash_map.hpp"
#include "remora/options.hpp"
#include "remora/order.hpp"
#include "remora/runtime.hpp"
#include "remora/shared_ptr.hpp"
#include "remora/stats.hpp"
#include "remora/unique_ptr.hpp"
#include "remora/vector.hpp"
#include "remora/version.hpp"
