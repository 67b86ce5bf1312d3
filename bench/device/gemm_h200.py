# Measures bf16 GEMM time on the device (H200) over transformer-shaped (M, N, K), and records
# torch 2.11's parallel-API signatures. Writes $OUT/h200_gemm.json and $OUT/torch_api.json.
import json, os, time, inspect, torch
out = os.environ.get("OUT", ".")
dev = torch.device("cuda")
props = torch.cuda.get_device_properties(0)
rows = []
def bench(m, n, k, dtype=torch.bfloat16, reps=20):
    a = torch.randn(m, k, device=dev, dtype=dtype); b = torch.randn(k, n, device=dev, dtype=dtype)
    for _ in range(3): a @ b
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(reps): a @ b
    e.record(); torch.cuda.synchronize()
    us = s.elapsed_time(e) * 1000 / reps
    return us, 2 * m * n * k / (us * 1e-6) / 1e12
t0 = time.time()
Ms = [256, 512, 1024, 2048, 4096, 8192, 16384]
hs = [(1024, 4096), (2048, 8192), (4096, 11008), (4096, 14336), (5120, 20480), (8192, 28672), (12288, 49152), (16384, 53248)]
tps = [1, 2, 4, 8]
seen = set()
for h, f in hs:
    for tp in tps:
        for m in Ms:
            for (n, k) in [(f // tp, h), (h, f // tp), (3 * h // tp, h), (h, h // tp)]:
                key = (m, n, k)
                if key in seen or m * n * k > 2 ** 40: continue
                seen.add(key)
                us, tf = bench(m, n, k)
                rows.append({"m": m, "n": n, "k": k, "us": round(us, 3), "tflops": round(tf, 2)})
    if time.time() - t0 > 150: break
# small odd shapes for quantization effects
for m in [128, 129, 192, 255, 256, 257, 384, 640, 1000, 1024, 1100]:
    for n in [4096, 4097, 4160]:
        us, tf = bench(m, n, 4096)
        rows.append({"m": m, "n": n, "k": 4096, "us": round(us, 3), "tflops": round(tf, 2)})
json.dump({"device": props.name, "sms": props.multi_processor_count, "torch": torch.__version__,
           "dtype": "bfloat16", "note": "a[m,k] @ b[k,n], CUDA events, 20 reps after 3 warm-up",
           "rows": rows}, open(os.path.join(out, "h200_gemm.json"), "w"), indent=1)
api = {}
def sig(name, obj):
    try: api[name] = str(inspect.signature(obj))
    except Exception as ex: api[name] = "?" + str(ex)
import torch.distributed as dist
for n in ["init_process_group", "all_reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor", "broadcast", "reduce", "all_to_all_single", "send", "recv", "isend", "irecv", "barrier", "new_group"]:
    sig("dist." + n, getattr(dist, n))
from torch.distributed.device_mesh import init_device_mesh, DeviceMesh
sig("init_device_mesh", init_device_mesh)
for n in ["get_group", "size", "get_local_rank", "__getitem__"]: sig("DeviceMesh." + n, getattr(DeviceMesh, n))
import torch.distributed.tensor as dt
for n in ["distribute_tensor", "Shard", "Replicate", "Partial"]: sig("tensor." + n, getattr(dt, n))
for n in ["from_local", "to_local", "full_tensor", "redistribute"]: sig("DTensor." + n, getattr(dt.DTensor, n))
import torch.distributed.tensor.parallel as tpar
for n in ["parallelize_module", "ColwiseParallel", "RowwiseParallel", "SequenceParallel", "PrepareModuleInput", "PrepareModuleOutput"]:
    sig("parallel." + n, getattr(tpar, n))
import torch.distributed.pipelining as pl
for n in ["pipeline", "PipelineStage", "ScheduleGPipe", "Schedule1F1B", "ScheduleInterleaved1F1B", "SplitPoint"]:
    sig("pipelining." + n, getattr(pl, n))
for n in ["step"]: sig("Schedule1F1B.step", pl.Schedule1F1B.step)
try:
    from torch.distributed._local_tensor import LocalTensorMode
    api["LocalTensorMode"] = "present"
except Exception as ex: api["LocalTensorMode"] = "absent: " + str(ex)
json.dump(api, open(os.path.join(out, "torch_api.json"), "w"), indent=1)
print("rows", len(rows), "secs", round(time.time() - t0, 1))
