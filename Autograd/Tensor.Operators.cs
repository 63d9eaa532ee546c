// C# operators: + - * / and unary minus between tensors and with numbers (numbers take the tensor's dtype).
namespace DotGrad;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    public static Tensor operator -(Tensor a) => a.Neg();

    public static Tensor operator +(Tensor a, double b) => WithScalar(a, b, static (x, s) => x.Add(s));
    public static Tensor operator +(double a, Tensor b) => WithScalar(b, a, static (x, s) => s.Add(x));
    public static Tensor operator -(Tensor a, double b) => WithScalar(a, b, static (x, s) => x.Sub(s));
    public static Tensor operator -(double a, Tensor b) => WithScalar(b, a, static (x, s) => s.Sub(x));
    public static Tensor operator *(Tensor a, double b) => WithScalar(a, b, static (x, s) => x.Mul(s));
    public static Tensor operator *(double a, Tensor b) => WithScalar(b, a, static (x, s) => s.Mul(x));
    public static Tensor operator /(Tensor a, double b) => WithScalar(a, b, static (x, s) => x.Div(s));
    public static Tensor operator /(double a, Tensor b) => WithScalar(b, a, static (x, s) => s.Div(x));

    private static Tensor WithScalar(Tensor t, double value, Func<Tensor, Tensor, Tensor> op)
    {
        var s = RawOps.ScalarLike(t, value);
        var y = op(t, s);
        // A recorded op may keep s itself as an input for its backward (a 0-d t needs no expand of s), so s is
        // released here only when nothing was recorded; otherwise the graph owns it.
        if (y.GradFn is null) s.Dispose();
        return y;
    }
}
