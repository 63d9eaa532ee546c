// Properties of the schedulers over random arguments: the cosine's symmetry and period, warm restarts as cosines
// restarted at T_0 (m^n - 1)/(m - 1), 1cycle's bounds and endpoint, and chaining as the product of factors.
// FsCheck prints the seed of a failing case, to replay it with [Property(Replay = "...")].
using DotGrad.Optim;
using FsCheck;
using FsCheck.Fluent;
using PropertyAttribute = FsCheck.NUnit.PropertyAttribute;

namespace DotGrad.Tests.Optim;

public class LRSchedulerPropertyTests
{
    private static bool Close(double a, double b, double tol = 1e-12) => Math.Abs(a - b) <= tol * Math.Max(1, Math.Abs(b));

    [Property(MaxTest = 200)]
    public Property CosineAnnealing_IsSymmetricAboutTMax_AndPeriodicIn2TMax() =>
        Prop.ForAll(Gen.Choose(1, 60).ToArbitrary(), Gen.Choose(0, 400).ToArbitrary(), (tMax, t) =>
        {
            var s = new CosineAnnealingLR(tMax, 0.01);
            int k = t % (tMax + 1);                                   // 0..T_max
            return Close(s.LrAt(tMax + k, 0, 0.5), s.LrAt(tMax - k, 0, 0.5))
                   && Close(s.LrAt(t + 2 * tMax, 0, 0.5), s.LrAt(t, 0, 0.5))
                   && s.LrAt(t, 0, 0.5) >= 0.01 - 1e-15 && s.LrAt(t, 0, 0.5) <= 0.5 + 1e-15;
        });

    [Property(MaxTest = 200)]
    public Property WarmRestarts_AreCosinesRestartedAtTheGeometricSums() =>
        Prop.ForAll((from t0 in Gen.Choose(1, 20) from tMult in Gen.Choose(1, 3) from n in Gen.Choose(0, 5) from offset in Gen.Choose(0, 1000)
                     select (t0, tMult, n, offset)).ToArbitrary(),
            c =>
            {
                var (t0, tMult, n, offset) = c;
                var s = new CosineAnnealingWarmRestarts(t0, tMult);
                // Cycle n starts at T_0 (1 + m + ... + m^(n-1)) and is T_0 m^n long.
                long start = 0, length = t0;
                for (int i = 0; i < n; i++) { start += length; length *= tMult; }
                int within = (int)(offset % length);
                int t = (int)(start + within);
                var cosine = new CosineAnnealingLR((int)length);
                return s.CycleAt(t) == (within, length) && Close(s.LrAt(t, 0, 1), cosine.LrAt(within, 0, 1));
            });

    [Property(MaxTest = 200)]
    public Property OneCycle_StaysBetweenItsBounds_AndEndsAtMin() =>
        Prop.ForAll((from total in Gen.Choose(2, 300) from pct in Gen.Choose(5, 95) from three in Gen.Elements(true, false)
                     from strategy in Gen.Elements(AnnealStrategy.Cos, AnnealStrategy.Linear)
                     select (total, pct, three, strategy)).ToArbitrary(),
            c =>
            {
                var (total, pct, three, strategy) = c;
                double pctStart = pct / 100.0;
                if (pctStart * total == 1 || (three && 2 * pctStart * total - 2 >= total - 1)) return true;   // a 0-length first phase; a third phase that never runs
                var s = new OneCycleLR(0.2, totalSteps: total, pctStart: pctStart, threePhase: three, annealStrategy: strategy);
                double lo = s.MinLr(0), eps = 1e-15;
                for (int t = 0; t < total; t++)
                {
                    double lr = s.LrAt(t, 0, 1), m = s.MomentumAt(t, 0)!.Value;
                    if (lr < lo - eps || lr > 0.2 + eps || m < 0.85 - eps || m > 0.95 + eps) return false;
                }
                return Close(s.LrAt(total - 1, 0, 1), lo, strategy == AnnealStrategy.Cos ? 0 : 1e-10) && Close(s.MomentumAt(total - 1, 0)!.Value, 0.95, 1e-15);
            });

    [Property(MaxTest = 200)]
    public Property Chained_MultiplicativeSchedulers_GiveTheProductOfTheirFactors() =>
        Prop.ForAll(Gen.Choose(0, 100).ToArbitrary(), Gen.Choose(1, 10).ToArbitrary(), (t, size) =>
        {
            LRScheduler[] parts = [new StepLR(size, 0.5), new ExponentialLR(0.97), new LinearLR(0.2, 1, size), new PolynomialLR(3 * size, 2)];
            var chained = new ChainedScheduler(parts);
            double product = 0.3;
            foreach (var p in parts) product *= p.LrAt(t, 0, 1);
            return Close(chained.LrAt(t, 0, 0.3), product, 1e-14)
                   && new SequentialLR([parts[1]], []).LrAt(t, 0, 0.3) == parts[1].LrAt(t, 0, 0.3);
        });
}
