// The operator contracts: one small struct per elementwise or reduction operator carries its scalar form,
// its span (SIMD) form and its OpenCL C expression, so one definition drives every backend.
namespace DotGrad.Backends;

/// <summary>
/// A unary elementwise operator <c>y = f(x)</c>. The scalar forms are the definition (the Reference backend uses
/// only them); the span forms default to a scalar loop and are overridden with vectorized code where it pays.
/// <see cref="OpenCL"/> is a C expression in <c>x</c> of type <c>T</c>.
/// </summary>
public interface IUnaryOperator<TSelf> where TSelf : IUnaryOperator<TSelf>
{
    static abstract string Name { get; }
    static abstract string OpenCL { get; }
    /// <summary>The OpenCL expression for Int32, where it differs (C's fabs and isnan take floating point only).</summary>
    static virtual string OpenCLInt32 => TSelf.OpenCL;
    static abstract float Invoke(float x);
    static abstract double Invoke(double x);

    /// <summary>Whether the operator is defined on Int32 (for example neg and abs; exp is not).</summary>
    static virtual bool SupportsInt32 => false;
    static virtual int Invoke(int x) => throw new NotSupportedException($"{TSelf.Name} is not defined on Int32");

    /// <summary>
    /// Whether the operator is defined on Int64. An operator that computes on integers defines both widths: a new one
    /// that sets <see cref="SupportsInt32"/> should implement <see cref="Invoke(long)"/> too and set this.
    /// </summary>
    static virtual bool SupportsInt64 => false;
    static virtual long Invoke(long x) => throw new NotSupportedException($"{TSelf.Name} is not defined on Int64");

    /// <summary>The OpenCL expression for Int64 (C <c>long</c>), where it differs from the Int32 one.</summary>
    static virtual string OpenCLInt64 => TSelf.OpenCLInt32;

    /// <summary>
    /// The test domain: the range of x where the operator is defined and well-conditioned, used by the conformance
    /// suite and property tests to sample inputs. It lives beside the operator so that a new operator brings its own
    /// and the suite, which finds every operator by reflection, needs no hand-kept list. Not a runtime limit.
    /// </summary>
    static virtual (double Lo, double Hi) Domain => (-10, 10);

    static virtual void Invoke(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.Invoke(x[i]);
    }

    static virtual void Invoke(ReadOnlySpan<double> x, Span<double> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.Invoke(x[i]);
    }

    static virtual void Invoke(ReadOnlySpan<int> x, Span<int> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.Invoke(x[i]);
    }

    static virtual void Invoke(ReadOnlySpan<long> x, Span<long> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = TSelf.Invoke(x[i]);
    }
}

/// <summary>
/// A binary elementwise operator <c>y = f(a, b)</c>. Besides span-span, the span forms come in span-scalar and
/// scalar-span flavours, the common broadcast of a tensor with a single value (<c>x * 2</c>).
/// <see cref="OpenCL"/> is a C expression in <c>a</c> and <c>b</c> of type <c>T</c>.
/// </summary>
public interface IBinaryOperator<TSelf> where TSelf : IBinaryOperator<TSelf>
{
    static abstract string Name { get; }
    static abstract string OpenCL { get; }
    /// <summary>The OpenCL expression for Int32, where it differs (C's isnan takes floating point only).</summary>
    static virtual string OpenCLInt32 => TSelf.OpenCL;
    static abstract float Invoke(float a, float b);
    static abstract double Invoke(double a, double b);

    static virtual bool SupportsInt32 => false;
    static virtual int Invoke(int a, int b) => throw new NotSupportedException($"{TSelf.Name} is not defined on Int32");

    /// <summary>Whether the operator is defined on Int64 (see <see cref="IUnaryOperator{TSelf}.SupportsInt64"/>).</summary>
    static virtual bool SupportsInt64 => false;
    static virtual long Invoke(long a, long b) => throw new NotSupportedException($"{TSelf.Name} is not defined on Int64");

    /// <summary>The OpenCL expression for Int64 (C <c>long</c>), where it differs from the Int32 one.</summary>
    static virtual string OpenCLInt64 => TSelf.OpenCLInt32;

    /// <summary>
    /// The test domain of a: the range where the operator is defined and well-conditioned, used by the conformance
    /// suite and property tests to sample inputs (see <see cref="IUnaryOperator{TSelf}.Domain"/>). Not a runtime limit.
    /// </summary>
    static virtual (double Lo, double Hi) DomainA => (-10, 10);

    /// <summary>The test domain of b, as <see cref="DomainA"/> is of a (div keeps b away from 0, pow keeps it small).</summary>
    static virtual (double Lo, double Hi) DomainB => (-10, 10);

    static virtual void Invoke(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b[i]);
    }

    static virtual void Invoke(ReadOnlySpan<float> a, float b, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b);
    }

    static virtual void Invoke(float a, ReadOnlySpan<float> b, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a, b[i]);
    }

    static virtual void Invoke(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b[i]);
    }

    static virtual void Invoke(ReadOnlySpan<double> a, double b, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b);
    }

    static virtual void Invoke(double a, ReadOnlySpan<double> b, Span<double> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a, b[i]);
    }

    static virtual void Invoke(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b[i]);
    }

    static virtual void Invoke(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Span<long> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = TSelf.Invoke(a[i], b[i]);
    }
}

/// <summary>A comparison <c>mask = a ? b</c>, giving Bool. <see cref="OpenCL"/> is a C expression in <c>a</c>, <c>b</c>.</summary>
public interface ICompareOperator<TSelf> where TSelf : ICompareOperator<TSelf>
{
    static abstract string Name { get; }
    static abstract string OpenCL { get; }
    static abstract bool Invoke(float a, float b);
    static abstract bool Invoke(double a, double b);
    static abstract bool Invoke(int a, int b);
    static abstract bool Invoke(long a, long b);
}

/// <summary>
/// An associative, commutative reduction (sum, max, min). <see cref="Combine(float, float)"/> folds one value in;
/// <see cref="Aggregate(ReadOnlySpan{float})"/> folds a whole contiguous run (vectorized where it pays), and
/// <see cref="Accumulate(Span{float}, ReadOnlySpan{float})"/> folds a row into a row of accumulators
/// (used when the reduced dim is the outer one).
/// </summary>
public interface IReduceOperator<TSelf> where TSelf : IReduceOperator<TSelf>
{
    static abstract string Name { get; }
    /// <summary>C expression folding <c>b</c> into the accumulator <c>a</c>.</summary>
    static abstract string OpenCL { get; }
    /// <summary>The OpenCL expression for Int32, where it differs (C's isnan takes floating point only).</summary>
    static virtual string OpenCLInt32 => TSelf.OpenCL;
    /// <summary>The OpenCL expression for Int64 (C <c>long</c>), where it differs from the Int32 one.</summary>
    static virtual string OpenCLInt64 => TSelf.OpenCLInt32;
    static abstract double Identity { get; }
    static abstract int IdentityInt32 { get; }
    /// <summary>The identity for Int64 (C <c>long</c>): 0 for sum, long.MinValue for max.</summary>
    static abstract long IdentityInt64 { get; }
    static abstract float Combine(float a, float b);
    static abstract double Combine(double a, double b);
    static abstract int Combine(int a, int b);
    static abstract long Combine(long a, long b);

    static virtual float Aggregate(ReadOnlySpan<float> x)
    {
        float acc = (float)TSelf.Identity;
        foreach (var v in x) acc = TSelf.Combine(acc, v);
        return acc;
    }

    static virtual double Aggregate(ReadOnlySpan<double> x)
    {
        double acc = TSelf.Identity;
        foreach (var v in x) acc = TSelf.Combine(acc, v);
        return acc;
    }

    static virtual int Aggregate(ReadOnlySpan<int> x)
    {
        int acc = TSelf.IdentityInt32;
        foreach (var v in x) acc = TSelf.Combine(acc, v);
        return acc;
    }

    static virtual long Aggregate(ReadOnlySpan<long> x)
    {
        long acc = TSelf.IdentityInt64;
        foreach (var v in x) acc = TSelf.Combine(acc, v);
        return acc;
    }

    static virtual void Accumulate(Span<float> acc, ReadOnlySpan<float> x)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] = TSelf.Combine(acc[i], x[i]);
    }

    static virtual void Accumulate(Span<double> acc, ReadOnlySpan<double> x)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] = TSelf.Combine(acc[i], x[i]);
    }

    static virtual void Accumulate(Span<int> acc, ReadOnlySpan<int> x)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] = TSelf.Combine(acc[i], x[i]);
    }

    static virtual void Accumulate(Span<long> acc, ReadOnlySpan<long> x)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] = TSelf.Combine(acc[i], x[i]);
    }
}
