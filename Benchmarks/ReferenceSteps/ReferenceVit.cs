// The ViT of the reference steps: 28x28 single-channel images in 4x4 patches, a class token with its own position,
// four pre-norm blocks of width 64 and a linear head on the class token.
using DotGrad.Backends;
using DotGrad.Models;

namespace DotGrad.Benchmarks;

/// <summary>
/// Images [B, 1, 28, 28] -> logits [B, 10].
/// <code>
/// p = patches(images)                         [B, 49, 16]   a 7x7 grid of 4x4 patches, row-major
/// x = cat(cls, Linear(16, 64)(p)) + pos       [B, 50, 64]   pos [1, 50, 64] covers the class token too
/// x = block_0(x) ... block_3(x)               [B, 50, 64]   pre-norm, 4 heads, MLP 256, exact GELU, LayerNorm eps 1e-5
/// y = Linear(64, 10)(LayerNorm(x)[:, 0])      [B, 10]
/// </code>
/// It differs from <see cref="VisionTransformer"/>, which adds positions to the patches only (before the class
/// token), in the position table's length (50 here).
/// </summary>
public sealed class ReferenceVit : Module<Tensor, Tensor>
{
    /// <summary>Image side, patch side, width, blocks, heads, MLP width and classes.</summary>
    public const int ImageSize = 28, Patch = 4, Width = 64, Depth = 4, Heads = 4, MlpHidden = 256, Classes = 10;

    /// <summary>Patches per image, 7 x 7.</summary>
    public const int PatchCount = ImageSize / Patch * (ImageSize / Patch);

    /// <summary>Pixels per patch, 16.</summary>
    public const int PatchDim = Patch * Patch;

    public ReferenceVit(Generator? generator = null, Device? device = null)
    {
        PatchEmbed = AddModule("patch_embed", new Linear(PatchDim, Width, generator: generator, device: device));
        ClsToken = AddParameter("cls_token", Tensor.Normal([1, 1, Width], 0, 0.02, generator, device: device));
        PosEmbed = AddParameter("pos_embed", Tensor.Normal([1, PatchCount + 1, Width], 0, 0.02, generator, device: device));
        var block = new BlockConfig(Width, Heads, MlpHidden, Activation: Activation.Gelu, NormEps: 1e-5, Causal: false);
        Blocks = AddModule("blocks", new ModuleList<TransformerBlock>(
            Enumerable.Range(0, Depth).Select(_ => new TransformerBlock(block, generator, device: device))));
        Norm = AddModule("norm", new LayerNorm(Width, 1e-5, device: device));
        Head = AddModule("head", new Linear(Width, Classes, generator: generator, device: device));
    }

    /// <summary>Linear(16, 64) on each patch's pixels.</summary>
    public Linear PatchEmbed { get; }
    /// <summary>[1, 1, 64].</summary>
    public Tensor ClsToken { get; }
    /// <summary>[1, 50, 64]: row 0 is the class token's position.</summary>
    public Tensor PosEmbed { get; }
    /// <summary>The 4 pre-norm, non-causal blocks.</summary>
    public ModuleList<TransformerBlock> Blocks { get; }
    /// <summary>The final LayerNorm.</summary>
    public LayerNorm Norm { get; }
    /// <summary>Linear(64, 10) on the class token.</summary>
    public Linear Head { get; }

    /// <summary>[B, 1, 28, 28] -> [B, 10].</summary>
    public override Tensor Forward(Tensor images)
    {
        if (images.Rank != 4 || images.Size(1) != 1 || images.Size(2) != ImageSize || images.Size(3) != ImageSize)
            throw new ArgumentException($"ReferenceVit: expected images [B, 1, {ImageSize}, {ImageSize}], got [{string.Join(", ", images.Shape)}]", nameof(images));
        int B = images.Size(0);
        // One channel: NCHW and NHWC are the same memory, so the NHWC patch extraction applies after a view.
        var p = Patches.Extract(images.View(B, ImageSize, ImageSize, 1), Patch);       // [B, 49, 16]
        var x = PatchEmbed.Call(p);                                                     // [B, 49, 64]
        x = Tensor.Cat([ClsToken.Expand(B, 1, Width), x], dim: 1) + PosEmbed;           // [B, 50, 64]
        foreach (var block in Blocks) x = block.Call(x);                                // [B, 50, 64]
        return Head.Call(Norm.Call(x)[.., 0]);                                          // [B, 64] -> [B, 10]
    }
}
