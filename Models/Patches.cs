// Cutting NHWC images into flattened patches: the first step of the ViT, the MLP-Mixer and the gMLP classifier.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>Patch extraction and the small arithmetic around it, shared by the vision models.</summary>
public static class Patches
{
    /// <summary>
    /// Cuts images [B, H, W, C] into non-overlapping ph x pw patches and flattens each one:
    /// the result is [B, N, ph*pw*C] with N = (H/ph) (W/pw). Tokens are in row-major (h, w) order, and each patch
    /// vector is in (ph, pw, c) order: pixel (0, 0) with all its channels, then pixel (0, 1), ..., then row 1. This is
    /// big_vision's order (a conv with kernel = stride = patch over NHWC images has its kernel flattened the same
    /// way), so a Linear on these vectors is that conv; PyTorch's Conv2d on NCHW flattens as (c, ph, pw) instead.
    /// </summary>
    public static Tensor Extract(Tensor images, int patchHeight, int patchWidth)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (patchHeight <= 0 || patchWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(patchHeight), $"Patches.Extract: patch sizes must be positive, got {patchHeight} x {patchWidth}");
        if (images.Rank != 4)
            throw new ArgumentException($"Patches.Extract: expected NHWC images [B, H, W, C], got shape {Module.Format(images.Shape)}", nameof(images));
        int B = images.Size(0), H = images.Size(1), W = images.Size(2), C = images.Size(3);
        if (H % patchHeight != 0 || W % patchWidth != 0)
            throw new ArgumentException($"Patches.Extract: the image size {H} x {W} is not divisible by the patch size {patchHeight} x {patchWidth}", nameof(images));
        int gh = H / patchHeight, gw = W / patchWidth;
        var x = images.Reshape(B, gh, patchHeight, gw, patchWidth, C); // (B, gh, ph, gw, pw, C)
        x = x.Permute(0, 1, 3, 2, 4, 5);                                // (B, gh, gw, ph, pw, C)
        return x.Reshape(B, gh * gw, patchHeight * patchWidth * C);     // (B, N, ph*pw*C), a copy
    }

    /// <summary>Square patches: <c>Extract(images, patch, patch)</c>.</summary>
    public static Tensor Extract(Tensor images, int patch) => Extract(images, patch, patch);

    /// <summary>
    /// Checks a model's image fields and returns the number of patches (ImageSize / PatchSize)^2; errors name the
    /// config's fields so the user knows what to change.
    /// </summary>
    internal static int Count(string config, int imageSize, int patchSize, int channels)
    {
        if (imageSize <= 0) throw new ArgumentOutOfRangeException("ImageSize", imageSize, $"{config}: ImageSize must be positive");
        if (patchSize <= 0) throw new ArgumentOutOfRangeException("PatchSize", patchSize, $"{config}: PatchSize must be positive");
        if (channels <= 0) throw new ArgumentOutOfRangeException("Channels", channels, $"{config}: Channels must be positive");
        if (imageSize % patchSize != 0)
            throw new ArgumentException($"{config}: ImageSize ({imageSize}) must be divisible by PatchSize ({patchSize}); " +
                                        $"pick a PatchSize that divides {imageSize}, or resize the images", "PatchSize");
        int side = imageSize / patchSize;
        return side * side;
    }

    /// <summary>Checks that a batch of images is [B, ImageSize, ImageSize, Channels], naming the config fields if not.</summary>
    internal static void CheckImages(string model, Tensor images, int imageSize, int channels)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Rank != 4)
            throw new ArgumentException($"{model}: expected NHWC images [B, {imageSize}, {imageSize}, {channels}], got shape {Module.Format(images.Shape)}", nameof(images));
        if (images.Size(1) == channels && images.Size(2) == imageSize && images.Size(3) == imageSize && channels != imageSize)
            throw new ArgumentException($"{model}: images of shape {Module.Format(images.Shape)} look like NCHW, but the vision models take NHWC " +
                                        $"[B, {imageSize}, {imageSize}, {channels}] (channels last, as big_vision): call images.Permute(0, 2, 3, 1)", nameof(images));
        if (images.Size(1) != imageSize || images.Size(2) != imageSize)
            throw new ArgumentException($"{model}: images are {images.Size(1)} x {images.Size(2)} but the config's ImageSize is {imageSize} " +
                                        $"(shape {Module.Format(images.Shape)}, expected [B, {imageSize}, {imageSize}, {channels}])", nameof(images));
        if (images.Size(3) != channels)
            throw new ArgumentException($"{model}: images have {images.Size(3)} channels but the config's Channels is {channels} " +
                                        $"(shape {Module.Format(images.Shape)}; images are NHWC, channels last)", nameof(images));
        if (!images.DType.IsFloatingPoint())
            throw new ArgumentException($"{model}: images must be floating point, got {images.DType}", nameof(images));
    }
}
