#include "actors/messages.hpp"

#include "remora/errors.hpp"

namespace remora::actors {

namespace {
const caf::atom_value remora_category = caf::atom("remora");
}  // namespace

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<slot_location>("remora.slot_location");
  cfg.add_message_type<std::vector<slot_location>>("remora.slot_locations");
  cfg.add_message_type<hello_reply>("remora.hello_reply");
  cfg.add_message_type<pulse_actor>("remora.pulse");
  cfg.add_message_type<node_stats>("remora.node_stats");
  cfg.add_message_type<publication_reply>("remora.publication");
  cfg.add_message_type<blob_value>("remora.blob_value");
  cfg.add_message_type<std::vector<blob_value>>("remora.blob_values");
  cfg.add_message_type<blob_store_stats>("remora.blob_store_stats");
  cfg.add_message_type<std::vector<std::string>>("remora.strings");
  cfg.add_message_type<std::vector<std::uint64_t>>("remora.u64s");
  cfg.add_message_type<std::vector<std::uint32_t>>("remora.u32s");
  cfg.add_error_category(
      remora_category, [](std::uint8_t code, caf::atom_value, const caf::message& context) {
        std::string text =
            std::string("remora ") + transport::to_string(static_cast<transport::errc>(code));
        if (context.match_elements<std::string>()) text += ": " + context.get_as<std::string>(0);
        return text;
      });
}

caf::error make_remora_error(transport::errc code, std::string message) {
  return caf::error(static_cast<std::uint8_t>(code), remora_category,
                    caf::make_message(std::move(message)));
}

caf::error make_remora_error(const Error& e) {
  using transport::errc;
  const errc code = dynamic_cast<const AuthError*>(&e)         ? errc::auth
                    : dynamic_cast<const NodeUnavailable*>(&e) ? errc::peer_unreachable
                    : dynamic_cast<const ObjectLost*>(&e)      ? errc::unknown_object
                    : dynamic_cast<const InvalidObject*>(&e)   ? errc::out_of_range
                    : dynamic_cast<const OutOfMemory*>(&e)     ? errc::no_memory
                    : dynamic_cast<const ConfigError*>(&e)     ? errc::invalid_argument
                    : dynamic_cast<const ProtocolError*>(&e)   ? errc::protocol
                                                               : errc::transport;
  return make_remora_error(code, e.what());
}

transport::error to_error(const caf::error& e, const std::string& what) {
  using transport::errc;
  if (e.category() == remora_category) {
    std::string detail;
    if (e.context().match_elements<std::string>()) detail = e.context().get_as<std::string>(0);
    return {static_cast<errc>(e.code()), what + ": " + detail};
  }
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return {errc::timeout, what + ": no reply before the deadline"};
      case caf::sec::unexpected_message:
      case caf::sec::unexpected_response:
        return {errc::protocol, what + ": the peer did not understand the request"};
      default:
        return {errc::peer_unreachable,
                what + ": " + caf::to_string(static_cast<caf::sec>(e.code()))};
    }
  }
  return {errc::protocol, what + ": unexpected error category " + caf::to_string(e.category())};
}

}  // namespace remora::actors
