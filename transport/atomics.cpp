#include "transport/atomics.hpp"

#include "transport/ucs_status.hpp"
#include "transport/worker.hpp"

namespace remora::transport {

namespace {

result<void> check_word(const remote_region& at, std::uint64_t offset) {
  if (offset % 8 != 0)
    return error{errc::invalid_argument,
                 "remote atomic at offset " + std::to_string(offset) + " is not 8-byte aligned"};
  if (auto r = at.check(offset, 8); !r) return r;
  if (at.link().closed())
    return error{errc::peer_unreachable, "remote atomic on a closed endpoint"};
  return {};
}

}  // namespace

result<std::uint64_t> compare_swap(const remote_region& at, std::uint64_t offset,
                                   std::uint64_t expected, std::uint64_t desired, deadline until) {
  if (auto r = check_word(at, offset); !r) return r.err();
  // UCX compares with `buffer` and swaps in what the reply buffer holds,
  // which then receives the word's previous value.
  std::uint64_t compare = expected;
  std::uint64_t previous = desired;
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_DATATYPE | UCP_OP_ATTR_FIELD_REPLY_BUFFER;
  param.datatype = ucp_dt_make_contig(8);
  param.reply_buffer = &previous;
  auto request = ucp_atomic_op_nbx(at.link().native(), UCP_ATOMIC_OP_CSWAP, &compare, 1,
                                   at.base() + offset, at.rkey(), &param);
  if (auto r = wait_request(at.link(), request, until, "remote compare-and-swap"); !r)
    return r.err();
  return previous;
}

result<void> atomic_add(const remote_region& at, std::uint64_t offset, std::uint64_t value,
                        deadline until) {
  if (auto r = check_word(at, offset); !r) return r;
  ucp_request_param_t param{};
  param.op_attr_mask = UCP_OP_ATTR_FIELD_DATATYPE;
  param.datatype = ucp_dt_make_contig(8);
  auto request = ucp_atomic_op_nbx(at.link().native(), UCP_ATOMIC_OP_ADD, &value, 1,
                                   at.base() + offset, at.rkey(), &param);
  if (auto r = wait_request(at.link(), request, until, "remote atomic add"); !r) return r;
  return at.link().flush(until);
}

}  // namespace remora::transport
