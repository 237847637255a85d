// Errors crossing an actor's edge: a public exception caught there becomes a
// caf::error whose code the caller's side turns back into the same type.
#include "actors/messages.hpp"

#include <catch2/catch.hpp>

#include "remora/errors.hpp"

using remora::actors::make_remora_error;
using remora::actors::to_error;
using remora::transport::errc;

namespace {

errc code_across(const remora::Error& e) {
  auto got = to_error(make_remora_error(e), "gather on test");
  CHECK_THAT(got.message, Catch::Contains(e.what()));
  return got.code;
}

}  // namespace

TEST_CASE("each public exception crosses an actor's edge as its own code", "[messages]") {
  CHECK(code_across(remora::InvalidObject("row 9 is past the end")) == errc::out_of_range);
  CHECK(code_across(remora::ObjectLost("object 7 is gone")) == errc::unknown_object);
  CHECK(code_across(remora::NodeUnavailable("node down")) == errc::peer_unreachable);
  CHECK(code_across(remora::OutOfMemory("full")) == errc::no_memory);
  CHECK(code_across(remora::ConfigError("no HBM tier")) == errc::invalid_argument);
  CHECK(code_across(remora::ProtocolError("garbled")) == errc::protocol);
  CHECK(code_across(remora::AuthError("wrong token")) == errc::auth);
  CHECK(code_across(remora::Error("something else")) == errc::transport);
}
