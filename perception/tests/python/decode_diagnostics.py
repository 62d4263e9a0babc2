"""Decodes diagnostic_msgs/msg/DiagnosticArray CDR payloads with the independent `rosbags`
type store (ROS 2 Jazzy definitions) and prints them as JSON, one line per file, with the type
hash rosbags computes. Used by perception/tests/diagnostics_rosbags.rs."""
import json
import sys

from rosbags.typesys import Stores, get_typestore

TYPE = "diagnostic_msgs/msg/DiagnosticArray"
store = get_typestore(Stores.ROS2_JAZZY)
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        msg = store.deserialize_cdr(f.read(), TYPE)
    print(json.dumps({
        "hash": store.hash_rihs01(TYPE),
        "stamp": [msg.header.stamp.sec, msg.header.stamp.nanosec],
        "status": [
            {
                "level": int(s.level),
                "name": s.name,
                "message": s.message,
                "hardware_id": s.hardware_id,
                "values": [[kv.key, kv.value] for kv in s.values],
            }
            for s in msg.status
        ],
    }))
