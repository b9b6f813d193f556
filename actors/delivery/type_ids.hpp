#pragma once

// Message types of herald::delivery (node-internal: subscriptions and their
// deliveries). The block follows herald_automation. Definitions travel as
// JSON text; a batch's outcome is the one structured payload.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "actors/automation/type_ids.hpp"
#include "actors/delivery/http_pool.hpp"

namespace herald::delivery {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, http_answer& x) {
  return f(caf::meta::type_name("herald.http_answer"), x.status, x.error,
           x.retry_after, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_result& x) {
  return f(caf::meta::type_name("herald.batch_result"), x.delivered, x.failed,
           x.failure, x.cancelled);
}

} // namespace herald::delivery

CAF_BEGIN_TYPE_ID_BLOCK(herald_delivery, caf::id_block::herald_automation::end)

CAF_ADD_ATOM(herald_delivery, herald::delivery, start_atom, "hdstart")
CAF_ADD_ATOM(herald_delivery, herald::delivery, apply_atom, "hdapply")
CAF_ADD_ATOM(herald_delivery, herald::delivery, state_atom, "hdstate")
CAF_ADD_ATOM(herald_delivery, herald::delivery, seq_atom, "hdseq")
CAF_ADD_ATOM(herald_delivery, herald::delivery, pause_atom, "hdpause")
CAF_ADD_ATOM(herald_delivery, herald::delivery, resume_atom, "hdresume")
CAF_ADD_ATOM(herald_delivery, herald::delivery, redrive_atom, "hdredrive")
CAF_ADD_ATOM(herald_delivery, herald::delivery, dead_letters_atom, "hddeadl")
CAF_ADD_ATOM(herald_delivery, herald::delivery, drop_atom, "hddrop")
CAF_ADD_ATOM(herald_delivery, herald::delivery, page_atom, "hdpage")
CAF_ADD_ATOM(herald_delivery, herald::delivery, sent_atom, "hdsent")
CAF_ADD_ATOM(herald_delivery, herald::delivery, retry_atom, "hdretry")
CAF_ADD_ATOM(herald_delivery, herald::delivery, poll_atom, "hdpoll")
CAF_ADD_ATOM(herald_delivery, herald::delivery, expired_atom, "hdexpired")

CAF_ADD_TYPE_ID(herald_delivery, (herald::delivery::http_answer))
CAF_ADD_TYPE_ID(herald_delivery, (herald::delivery::batch_result))

CAF_END_TYPE_ID_BLOCK(herald_delivery)

namespace herald::delivery {

using protocol::deliver_atom;
using protocol::deliver_atom_v;
using protocol::get_atom;
using protocol::get_atom_v;
using protocol::list_atom;
using protocol::list_atom_v;

} // namespace herald::delivery
