// --optimizer adafactor-paper is Adafactor as published (relative step, parameter scaling, every matrix factored):
// its step ignores --lr, so two runs that differ only in --lr train alike.
using DotGrad.Cli.Training;
using DotGrad.Models;
using DotGrad.Optim;

namespace DotGrad.Tests.Cli;

public class AdafactorPaperTests
{
    [Test]
    public void AdafactorPaper_IsThePublishedRecipe_AndIgnoresTheLearningRate()
    {
        double[] Train(double lr)
        {
            var model = new VisionTransformer(VitConfig.Mnist() with { Width = 16, Depth = 1, Heads = 2, MlpHidden = 16 }, new Generator(3));
            var optimizer = Optimizers.Create("adafactor-paper", model, lr, 0);
            var adafactor = (Adafactor)optimizer;
            Assert.That((adafactor.Defaults.RelativeStep, adafactor.Defaults.ScaleParameter, adafactor.Defaults.MinDimToFactor), Is.EqualTo((true, true, 1)));
            var images = Tensor.Normal([4, 28, 28, 1], 0, 1, new Generator(5));
            var losses = new double[3];
            for (int i = 0; i < losses.Length; i++)
            {
                optimizer.ZeroGrad();
                var loss = (model.Forward(images) - 1).Square().Mean();   // a target of 1: the zero head gets a gradient
                loss.Backward();
                optimizer.Step();
                losses[i] = loss.Item();
            }
            return losses;
        }
        var small = Train(1e-3);
        Assert.That(small[2], Is.LessThan(small[0]), "the steps train");
        Assert.That(Train(0.5), Is.EqualTo(small), "the relative step does not read --lr");
    }
}
