// The body of an image classifier without its head: the representation a linear probe (few-shot transfer) reads.
namespace DotGrad.Models;

/// <summary>
/// An image classifier whose last layer is a linear head on one pooled vector per image. <see cref="Features"/> runs
/// everything but that head, so the model's forward pass is exactly <c>Head(Features(images))</c>.
/// </summary>
public interface IImageFeatures
{
    /// <summary>The length of one image's feature vector (the model's width).</summary>
    int FeatureWidth { get; }

    /// <summary>NHWC images [B, H, W, C] to the pooled representation the head reads, [B, <see cref="FeatureWidth"/>].</summary>
    Tensor Features(Tensor images);
}
