// The CAF protocols: message types and the typed interfaces of the
// memory_node actor and of the gather service (gather_service.hpp). Object
// bytes never travel to or from memory nodes here; they move one-sided over
// UCX (DESIGN.md decision 1). Every memory-node request after hello carries
// the session the hello granted, so a client that failed authentication can
// neither allocate nor learn where objects live. The gather service is an
// application-level service: its replies carry the rows asked for.
//
// Errors come back as caf::error in the "remora" category; node_client turns
// them into transport::error again (to_error below).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/blob_index.hpp"
#include "actors/node_stats.hpp"
#include "storage/arena.hpp"
#include "transport/result.hpp"

namespace remora::storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_location& x) {
  return f(caf::meta::type_name("remora.slot_location"), x.id, x.offset, x.version, x.size,
           x.slot_bytes);
}

}  // namespace remora::storage

namespace remora {
class Error;
}  // namespace remora

namespace remora::actors {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using alloc_atom = caf::atom_constant<caf::atom("alloc")>;
using place_atom = caf::atom_constant<caf::atom("place")>;
using free_atom = caf::atom_constant<caf::atom("free")>;
using lookup_atom = caf::atom_constant<caf::atom("lookup")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using goodbye_atom = caf::atom_constant<caf::atom("goodbye")>;
using gather_atom = caf::atom_constant<caf::atom("gather")>;
using damage_atom = caf::atom_constant<caf::atom("damage")>;
using stall_atom = caf::atom_constant<caf::atom("stall")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using publish_atom = caf::atom_constant<caf::atom("publish")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using unpublish_atom = caf::atom_constant<caf::atom("unpublish")>;
using retract_atom = caf::atom_constant<caf::atom("retract")>;
using mend_atom = caf::atom_constant<caf::atom("mend")>;
using stage_atom = caf::atom_constant<caf::atom("stage")>;
using describe_atom = caf::atom_constant<caf::atom("describe")>;
using pulse_atom = caf::atom_constant<caf::atom("pulse")>;
using blob_put_atom = caf::atom_constant<caf::atom("blob_put")>;
using blob_get_atom = caf::atom_constant<caf::atom("blob_get")>;
using blob_erase_atom = caf::atom_constant<caf::atom("blob_erase")>;
using blob_stats_atom = caf::atom_constant<caf::atom("blob_stats")>;
using reclaim_atom = caf::atom_constant<caf::atom("reclaim")>;
using room_atom = caf::atom_constant<caf::atom("room")>;

/// Bumped whenever a message's meaning or layout changes.
inline constexpr std::uint32_t protocol_version = 10;

/// The most bytes of a publication's description, or of its ids, that one
/// message carries: a table of millions of chunks goes in parts of this
/// size (stage_atom ahead of publish or mend; describe_atom after open), so
/// that neither side's buffers grow to the whole table at once.
inline constexpr std::size_t publication_slice_bytes = 1 << 20;

/// Where an object lives: storage::object_location (its slot's offset, the
/// version the slot must carry, sizes), sent as is.
using slot_location = storage::object_location;

/// A node's pulse: the actor that answers clients' heartbeats beside the
/// node's own, so that a long request there (a table of millions of chunks
/// published or freed) does not make the node look gone; each request still
/// has its deadline. -> whether the node is being drained.
using pulse_actor = caf::typed_actor<caf::replies_to<pulse_atom>::with<bool>>;

struct hello_reply {
  std::uint64_t node_id = 0;
  std::uint64_t session = 0;
  std::vector<char> worker_address;  // sealed UCX worker address
  std::vector<char> arena_key;       // sealed remote key of the arena
  std::uint64_t capacity = 0;
  std::uint32_t max_object_size = 0;
  pulse_actor pulse;  // where heartbeats go
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hello_reply& x) {
  return f(caf::meta::type_name("remora.hello_reply"), x.node_id, x.session, x.worker_address,
           x.arena_key, x.capacity, x.max_object_size, x.pulse);
}

/// A published array as its node keeps it: the publication's id and a
/// slice of the array's description (objects/published_array, bytes to the
/// node), at `offset` of `description_bytes`; `generation` counts the
/// description's mends, so that a reader of its slices sees when it changed.
struct publication_reply {
  std::uint64_t id = 0;
  std::uint64_t generation = 0;
  std::uint64_t description_bytes = 0;
  std::uint64_t offset = 0;
  std::vector<char> description;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publication_reply& x) {
  return f(caf::meta::type_name("remora.publication"), x.id, x.generation, x.description_bytes,
           x.offset, x.description);
}

/// A blob store's value as its node keeps it: where its pieces are, in
/// order (none when it is not there, or was not asked to be located).
struct blob_value {
  bool found = false;
  std::uint64_t bytes = 0;
  std::vector<slot_location> pieces;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, blob_value& x) {
  return f(caf::meta::type_name("remora.blob_value"), x.found, x.bytes, x.pieces);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, blob_store_stats& x) {
  return f(caf::meta::type_name("remora.blob_store_stats"), x.keys, x.bytes, x.hits, x.misses,
           x.evictions, x.puts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_stats& x) {
  return f(caf::meta::type_name("remora.node_stats"), x.capacity, x.used, x.objects, x.table_bytes,
           x.spilled_objects, x.spilled_bytes, x.spills, x.unspills, x.clean_spills, x.room_waits,
           x.requests, x.errors, x.bytes_served, x.sessions, x.leaving, x.leases_lapsed,
           x.objects_reclaimed, x.published, x.publications_held, x.connections,
           x.connections_refused, x.connections_expired, x.connections_oversize,
           x.connections_unknown, x.tenant_names, x.tenant_used, x.tenant_quota, x.version, x.pid,
           x.uptime_ms, x.high_watermark, x.low_watermark, x.spill_disk_bytes, x.latency_kinds,
           x.latency_counts, x.latency_sum_us);
}

using memory_node_actor = caf::typed_actor<
    // token, protocol version, owner (the client runtime: its objects are
    // its own) -> session and the keys to the arena
    caf::replies_to<hello_atom, std::string, std::uint32_t, std::uint64_t>::with<hello_reply>,
    // session, ids, payload sizes -> one location per id (all or nothing)
    caf::replies_to<alloc_atom, std::uint64_t, std::vector<std::uint64_t>,
                    std::vector<std::uint32_t>>::with<std::vector<slot_location>>,
    // session, ids, payload sizes, the payloads one after another -> as
    // alloc, each new slot holding its payload: allocation and first write
    // in one message, where one-sided writes cost a message each (tcp)
    caf::replies_to<place_atom, std::uint64_t, std::vector<std::uint64_t>,
                    std::vector<std::uint32_t>,
                    std::vector<char>>::with<std::vector<slot_location>>,
    // session, ids -> how many were freed (all or nothing)
    caf::replies_to<free_atom, std::uint64_t, std::vector<std::uint64_t>>::with<std::uint64_t>,
    // session, ids -> current locations, spilled objects brought back first
    caf::replies_to<lookup_atom, std::uint64_t,
                    std::vector<std::uint64_t>>::with<std::vector<slot_location>>,
    caf::replies_to<stats_atom>::with<node_stats>,
    // A test hook (remora-memnode --test-hooks): damages every resident
    // object's bytes; how many. Refused (unsupported) without the flag.
    caf::replies_to<damage_atom>::with<std::uint64_t>,
    // A test hook as well: the node's actor is busy for `ms` milliseconds,
    // as with a long request -> ms.
    caf::replies_to<stall_atom, std::uint32_t>::with<std::uint64_t>,
    // token, on: the node is leaving (on) or stays (off). A leaving node
    // takes no new objects; clients see it in heartbeats (node_stats'
    // leaving) and move what they keep there to the other nodes.
    caf::replies_to<drain_atom, std::string, bool>::with<node_stats>,
    // token: a drained node leaves the pool and stops. Refused while it
    // holds objects, or when it is not leaving, or is embedded.
    caf::replies_to<leave_atom, std::string>::with<node_stats>,
    // session: this connection is done. Once every connection of its owner
    // is gone (said goodbye, or went away) for the lease grace, the
    // owner's objects are freed
    caf::reacts_to<goodbye_atom, std::uint64_t>,
    // owner, generation: the node's own timer for a lease (from others:
    // ignored)
    caf::reacts_to<expire_atom, std::uint64_t, std::uint64_t>,
    // Published arrays (publications.hpp), scoped to the caller's tenant.
    // session, publication id, name, description, ids: the caller's objects
    // here become the publication's, named `name`; the caller holds a view
    // -> how many objects it took
    caf::replies_to<publish_atom, std::uint64_t, std::uint64_t, std::string, std::vector<char>,
                    std::vector<std::uint64_t>>::with<std::uint64_t>,
    // session, publication id, the description's whole length, the part's
    // number (0, 1, ...: 0 starts afresh), a slice of the description, ids:
    // a part of a publish or a mend sent ahead of its last part
    // (publish_atom, mend_atom), which it then comes before. The ids are
    // the publication's at once; the slice waits for the rest -> how many
    // objects it took
    caf::replies_to<stage_atom, std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t,
                    std::vector<char>, std::vector<std::uint64_t>>::with<std::uint64_t>,
    // session, name -> publication id and the description's first slice;
    // the caller holds one more view
    caf::replies_to<open_atom, std::uint64_t, std::string>::with<publication_reply>,
    // session, publication id, offset -> the description's slice there; the
    // caller holds a view
    caf::replies_to<describe_atom, std::uint64_t, std::uint64_t,
                    std::uint64_t>::with<publication_reply>,
    // session, publication id: the caller closes a view -> objects freed
    // (unpublished, and that was the last view)
    caf::replies_to<close_atom, std::uint64_t, std::uint64_t>::with<std::uint64_t>,
    // session, name: the name goes now -> objects freed (none viewed it)
    caf::replies_to<unpublish_atom, std::uint64_t, std::string>::with<std::uint64_t>,
    // session, publication id: the publisher, its only viewer, takes it
    // back (publishing failed elsewhere), or what it staged of it ->
    // objects that are its own again
    caf::replies_to<retract_atom, std::uint64_t, std::uint64_t>::with<std::uint64_t>,
    // session, publication id, description, ids: a viewer that rebuilt
    // copies lost with a node hands its objects `ids` here to the
    // publication and replaces its description -> how many objects it took
    caf::replies_to<mend_atom, std::uint64_t, std::uint64_t, std::vector<char>,
                    std::vector<std::uint64_t>>::with<std::uint64_t>,
    // Blob stores (blob_index.hpp), scoped to the caller's tenant.
    // session, store, key, ids (the caller's objects here: the value's
    // pieces, in order), capacity (0: none), pin (ms): the key holds them
    // from now on -> how many keys were evicted
    caf::replies_to<blob_put_atom, std::uint64_t, std::string, std::string,
                    std::vector<std::uint64_t>, std::uint64_t, std::uint64_t>::with<std::uint64_t>,
    // session, store, keys, locate (false: whether they are there, nothing
    // counted or moved) -> one value per key
    caf::replies_to<blob_get_atom, std::uint64_t, std::string, std::vector<std::string>,
                    bool>::with<std::vector<blob_value>>,
    // session, store, key -> whether it was there
    caf::replies_to<blob_erase_atom, std::uint64_t, std::string, std::string>::with<bool>,
    // session, store -> its figures on this node
    caf::replies_to<blob_stats_atom, std::uint64_t, std::string>::with<blob_store_stats>,
    // owner, ids: the node's own timer for a replaced blob value, freed a
    // while after (from others: ignored)
    caf::reacts_to<reclaim_atom, std::uint64_t, std::vector<std::uint64_t>>,
    // the node's own timer: room has come out of quarantine for the
    // requests waiting for it (from others: ignored)
    caf::reacts_to<room_atom>>;

/// The gather service: row ids -> their rows' floats, row after row, as
/// bytes (the floats as they lie in memory: client and server share the
/// machine's float layout); an unknown row is an InvalidObject
/// (out_of_range) naming it. Bytes, because CAF 0.17 copies a byte
/// sequence in one piece and any other sequence one element at a time: a
/// batch's 64 KiB of floats cost the servers most of their time.
using gather_actor = caf::typed_actor<
    caf::replies_to<gather_atom, std::vector<std::uint64_t>>::with<std::vector<char>>>;

/// Registers the types above with an actor system's configuration.
void register_message_types(caf::actor_system_config& cfg);

/// A caf::error in Remora's category carrying `code` and `message`.
caf::error make_remora_error(transport::errc code, std::string message);
/// The one place where a public exception (remora/errors.hpp) caught at an
/// actor's edge becomes a caf::error: its code is the one objects::raise
/// turns back into the same exception type on the caller's side.
caf::error make_remora_error(const Error& e);

/// The one place where a caf::error becomes a transport::error: Remora's own
/// category keeps its code; CAF's timeouts and lost connections map to
/// timeout and peer_unreachable. `what` says what was asked, of whom.
transport::error to_error(const caf::error& e, const std::string& what);

}  // namespace remora::actors
