// The seed's Problems 1–2 as a student writes them, in TypeScript: their own stage-edge wrapper
// (receive at a stage's first layer, send at its last), stages cut from the blocks, a forward and
// a backward across stages (the last stage's loss; the gradient of each stage's input goes back
// to the previous stage), and the tied embedding's gradient summed over the first and last stage.
// A custom program has no built-in reference: AutoDist runs the same
// program at world size 1 (one stage holding every block) and compares every module's output and
// every parameter's gradient by name.
import { simulation, buildModel, models, Module, ops, type Tensor } from 'autodist';

/** The seed's PipelineParallelTransformerLayer, with peers on the pp axis (not stage numbers). */
class StageEdgeLayer extends Module {
  constructor(public layer: Module, readonly first: boolean, readonly last: boolean) {
    super();
  }
  async forward(x: Tensor): Promise<Tensor> {
    const comm = x.ctx.comm;
    const stage = x.ctx.coord('pp');
    const stages = x.ctx.axisSize('pp');
    let h = x; // [B, S, H]
    if (this.first && stage > 0) h = await comm.recv(x, comm.peer('pp', -1)!, { requiresGrad: true }); // its gradient goes back in backward
    const out = await this.layer.call(h); // [B, S, H]
    if (this.last && stage < stages - 1) await comm.send(out, comm.peer('pp', +1)!);
    return out;
  }
}

export default simulation({
  name: "seed Problems 1–2, the student's own wrapper, forward and backward (pp=2 × tp=2)",
  mesh: { pp: 2, tp: 2 },
  async program(rank) {
    const { model: gpt } = buildModel(rank, models.gpt2({ nLayer: 4, nEmbd: 64, nHead: 4, vocab: 256, nPositions: 32 }));
    const stage = rank.coord('pp');
    const stages = rank.axisSize('pp');
    const per = gpt.h.length / stages; // blocks per stage
    const mine = gpt.h.slice(stage * per, (stage + 1) * per).map((b, i) => new StageEdgeLayer(b, i === 0, i === per - 1));
    const ids = rank.randint([2, 16], 256, { key: 'ids' });
    let hidden: Tensor = stage === 0 ? await gpt.embed(ids) : rank.zeros([2, 16, 64]); // [B, S, H]; a buffer to receive into
    for (const layer of mine) hidden = await layer.call(hidden);
    if (stage === stages - 1) {
      const logits = await gpt.head(hidden); // [B, S, V]
      const loss = ops.crossEntropy(ops.reshape(logits, [32, 256]), ops.reshape(ids, [32])); // [B·S, V] vs [B·S]: predict the ids themselves, any loss will do
      await rank.backward(loss);
    } else {
      await rank.comm.backwardFromPeer(hidden, rank.comm.peer('pp', +1)!); // the next stage's dX, backpropagated here
    }
    // the LM head is tied to the embedding: the first stage holds the embedding's part of its
    // gradient, the last stage the head's — sum them (Megatron's embedding group; with pp = 2 it
    // is the pp axis) @tied-grad
    const w = gpt.wte.weight;
    if (w.grad) w.grad = await rank.comm.allReduce(w.grad, { axis: 'pp' }); // [V, H]
  },
});
